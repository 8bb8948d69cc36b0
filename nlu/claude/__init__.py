"""The Claude tool-calling agent: registry operations as Anthropic tools, a bounded loop."""

from nlu.claude.agent import ClaudeInterpreter

__all__ = ["ClaudeInterpreter"]
