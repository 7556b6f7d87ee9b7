"""Data: one model for every stored file, with its type, hash, size, owner and visibility."""
