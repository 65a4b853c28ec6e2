"""Baseline agents of nasx11_env (installed as ``nasx11_env.agents``)."""
