"""Analyzers behind one protocol: the offline analyzer and the OpenAI-compatible client."""
