"""The one seam to Rasa: only modules in this package import Rasa."""
