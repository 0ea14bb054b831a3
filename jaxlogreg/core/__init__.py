"""The objective: losses, penalties, the problem pytree, targets and their linear algebra."""
