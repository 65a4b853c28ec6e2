"""Learning-curve surrogates: models, fidelity metrics and evaluation."""
