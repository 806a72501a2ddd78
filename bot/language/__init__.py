"""Which language she writes, what her words mean whatever the model thinks, and our texts in it."""
