"""The contract with every presenter: the summary and tables of a comparison."""
