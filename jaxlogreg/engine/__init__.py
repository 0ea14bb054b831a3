"""What is compiled: the functional fit, implicit differentiation, λ paths and working sets."""
