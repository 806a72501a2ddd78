"""SafeSpaces gateway: channels, the Rasa seam, language, NLG and tools."""
