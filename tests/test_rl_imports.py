"""The core package and the agents never import torch or stable-baselines3 (the rl extra)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_core_and_agents_and_rl_package_import_without_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import nasx11_env, nasx11_env.agents, nasx11_env.rl, nasx11_env.rl.cli\n"
        "import nasx11_env.agents.rl_stopper\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'stable_baselines3', "
        "'sb3_contrib'}))\n"
    )
    # outside the source tree, so the installed package is imported (as users get it)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "[]"
