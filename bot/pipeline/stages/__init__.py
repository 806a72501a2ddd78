"""The turn's stages, one job each, in the order `Gateway.stages()` lists them."""
