"""Gymnasium environments of nasx11_env (installed as ``nasx11_env.envs``)."""
