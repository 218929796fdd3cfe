"""The bias audit and its mitigation (issue 17): group fairness of an employer's history and of the model, read
from the graph and from a file of sensitive attributes kept apart from it (docs/fairness.md)."""
