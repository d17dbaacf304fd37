"""How tool parsers stream tool calls, where a release's parser has its own rules."""
