"""LLM-serving baselines: batch policies (vLLM, Orca, Sarathi-Serve) and request routers."""
