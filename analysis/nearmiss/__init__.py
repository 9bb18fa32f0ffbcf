"""Near misses: texts that say almost the same words with another meaning (a negation, two
roles swapped, a number changed, a condition flipped), made by rules."""
