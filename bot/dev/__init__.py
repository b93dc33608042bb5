"""Development toolkit: a throwaway Synapse and a scripted Matrix user for tests, the demo and benchmarks."""
