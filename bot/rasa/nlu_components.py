"""Rasa NLU components of our own, named in config.yml."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

from bot.language.normalize import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NormalizingTokenizer(WhitespaceTokenizer):  # type: ignore[misc]  # Rasa ships no types
    """Whitespace tokens, normalised (bot/language/normalize.py) for training and parsing alike.

    Tokens keep their offsets in the original text, so entity positions stay right; only the token
    text the featurizers read is folded.
    """

    def tokenize(self, message: Any, attribute: str) -> list[Token]:
        tokens: list[Token] = super().tokenize(message, attribute)
        for token in tokens:
            token.text = normalize(token.text)
            token.lemma = token.text
        return tokens
