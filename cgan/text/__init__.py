"""Text for sentence conditioning: WordPiece, all-MiniLM-L6-v2 in plain torch, the embedding cache, prompts."""
