"""One pipeline for both front ends: a :class:`Request` in, a comparison's bundle out.

The command line and the dashboard build the same :class:`Request` and call
:func:`run_comparison`; neither orchestrates a stage itself.
"""
