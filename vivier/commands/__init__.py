"""The `vivier` sub-commands, one module per group: the shell over the packages (they never import it)."""
