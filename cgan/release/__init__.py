"""Release files: the manifest, bundled files, the download cache, and exporting a generator."""
