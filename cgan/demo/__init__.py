"""`cgan demo`: a local web page to look at a model (Gradio, optional: requirements-demo.txt)."""
