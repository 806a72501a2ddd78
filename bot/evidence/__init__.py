"""Her record of what happened: entries she writes in the chat, sealed, hers to list, correct, delete."""
