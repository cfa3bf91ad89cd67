"""The model registry's domain: which version wins (``rules``), champion evaluation and drift,
trial reports, comparison pages, diagnostics and the artifact store. Kernel code: the selector
registers winners with it, the planner's admin API reads and evaluates through it."""
