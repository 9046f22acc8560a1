"""Writes the example notebooks from the cell sources below (run: python notebooks/make_notebooks.py).

Each notebook reads its sampler settings from environment variables so that the test suite can
execute it end to end with small settings (BAYESHCC_DRAWS, BAYESHCC_CHAINS).
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
SETTINGS = ("import os\n"
            "DRAWS = int(os.environ.get('BAYESHCC_DRAWS', 1000))\n"
            "CHAINS = int(os.environ.get('BAYESHCC_CHAINS', 4))")

NOTEBOOKS = {
    "01_reproduce_the_study.ipynb": [
        new_markdown_cell("# 1. Reproducing the reference study\n\nSecond-line lenvatinib vs "
                          "sorafenib after atezolizumab+bevacizumab failure (Clin Mol Hepatol "
                          "2024;30:345-359), on the bundled **synthetic** cohort calibrated to the "
                          "published aggregates (not patient data)."),
        new_code_cell(SETTINGS + "\nimport tempfile, pathlib\nimport pandas as pd\n"
                      "from bayeshcc.pipeline import reproduce, RunOptions\n"
                      "out = reproduce(pathlib.Path(tempfile.mkdtemp()) / 'results',\n"
                      "                options=RunOptions(draws=DRAWS, tune=DRAWS, chains=CHAINS, quiet=True))\n"
                      "tables = {p.stem: pd.read_csv(p) for p in (out / 'tables').glob('*.csv')}\n"
                      "sorted(tables)"),
        new_markdown_cell("Table 3: Kaplan-Meier medians and log-rank tests, whole and matched cohort."),
        new_code_cell("tables['survival'][['cohort', 'outcome', 'arm', 'n', 'events', 'median', "
                      "'median_lower', 'median_upper', 'logrank_p']]"),
        new_markdown_cell("The published figures beside the synthetic cohort's."),
        new_code_cell("tables['paper_comparison'].head(20)"),
        new_markdown_cell("Posterior hazard ratios (lenvatinib vs sorafenib) and the probability of benefit."),
        new_code_cell("hr = tables['posterior_hr']\n"
                      "hr[['outcome', 'model', 'prior', 'adjustment', 'hr_median', 'hr_lower', "
                      "'hr_upper', 'prob_hr_below_1', 'reliable']]"),
        new_code_cell("assert set(tables['survival']['outcome']) == {'os', 'pfs'}\n"
                      "assert (hr['hr_median'] < 1).all()"),
    ],
    "02_bayesian_model_checking.ipynb": [
        new_markdown_cell("# 2. Bayesian model checking with ArviZ\n\nFit both models to PFS, "
                      "then check them with ArviZ functions only: convergence, rank plots, a "
                      "posterior predictive check for censored data, LOO, model comparison and "
                      "power-scaling prior sensitivity."),
        new_code_cell(SETTINGS + "\nimport arviz as az, numpy as np\n"
                      "import bayeshcc as bh\n"
                      "from bayeshcc.datasets import load_paper_cohort\n"
                      "d = load_paper_cohort()\n"
                      "fits = {m: bh.fit(d, time='pfs_months', event='pfs_event', treatment='arm',\n"
                      "                  treated='lenvatinib', model=m, draws=DRAWS, tune=DRAWS,\n"
                      "                  chains=CHAINS, seed=1)\n"
                      "        for m in ('weibull', 'piecewise')}\n"
                      "{m: f.convergence.message for m, f in fits.items()}"),
        new_code_cell("import pandas as pd\n"
                      "pd.DataFrame({m: f.hazard_ratio(thresholds=[0.8]) for m, f in fits.items()})"),
        new_markdown_cell("Rank plots (Vehtari et al. 2021): uniform ranks in every chain mean "
                          "the chains explore the same distribution."),
        new_code_cell("az.plot_rank(fits['weibull'].tree, var_names=['log_hr', 'shape'], "
                      "backend='matplotlib');"),
        new_markdown_cell("Posterior predictive check for censored data: Kaplan-Meier of the "
                          "observed times against the survival of event times drawn from the "
                          "posterior predictive distribution (`fit.plot_ppc()`: ArviZ's "
                          "`plot_ppc_censored` with `extrapolation_factor=None`, so that "
                          "predicted times beyond the follow-up are not dropped)."),
        new_code_cell("for m, f in fits.items():\n"
                      "    f.plot_ppc(num_samples=50)  # plot_ppc_censored, no extrapolation cut"),
        new_markdown_cell("LOO: expected log predictive density; Pareto k > 0.7 would flag "
                          "observations LOO cannot handle. `bh.compare` is `az.compare` with "
                          "the SE of each difference."),
        new_code_cell("{m: az.loo(f.tree) for m, f in fits.items()}"),
        new_code_cell("bh.compare(fits)"),
        new_markdown_cell("Power-scaling prior sensitivity (Kallioinen et al. 2023): how much the "
                          "posterior moves when the prior or the likelihood is raised to a power "
                          "near 1, from the saved `log_prior` and `log_likelihood` groups, "
                          "without refitting."),
        new_code_cell("from arviz_stats import psense_summary\n"
                      "psense_summary(fits['weibull'].tree, var_names=['log_hr', 'log_shape', 'log_rate'])"),
    ],
    "03_bring_your_own_cohort.ipynb": [
        new_markdown_cell("# 3. Bringing your own cohort\n\nA CSV and a TOML spec are all "
                          "bayeshcc needs. Here we make a small two-arm cohort, write its spec, "
                          "validate it, and run the pipeline."),
        new_code_cell(SETTINGS + "\nimport pathlib, tempfile\nimport numpy as np, pandas as pd\n"
                      "rng = np.random.default_rng(7)\nn = 150\n"
                      "arm = np.where(rng.uniform(size=n) < 0.5, 'drug_a', 'drug_b')\n"
                      "age = rng.normal(65, 9, n).round()\n"
                      "t = rng.exponential(np.where(arm == 'drug_a', 14, 9) * np.exp(-(age - 65) / 40))\n"
                      "c = rng.uniform(6, 30, n)\n"
                      "frame = pd.DataFrame({'patient': [f'P{i:03d}' for i in range(n)], 'arm': arm,\n"
                      "                      'months': np.minimum(t, c).round(2).clip(0.01),\n"
                      "                      'died': (t <= c).astype(int), 'age': age,\n"
                      "                      'stage': rng.choice(['III', 'IV'], n)})\n"
                      "work = pathlib.Path(tempfile.mkdtemp())\n"
                      "frame.to_csv(work / 'cohort.csv', index=False)\nframe.head()"),
        new_code_cell("spec = '''\n[data]\nid = \"patient\"\ntreatment = \"arm\"\ntreated = \"drug_a\"\n"
                      "reference = \"drug_b\"\ntime_unit = \"months\"\n\n[outcomes.os]\ntime = \"months\"\n"
                      "event = \"died\"\nlabel = \"Overall survival\"\n\n[covariates]\nage = \"numeric\"\n"
                      "stage = { type = \"categorical\", reference = \"III\" }\n\n[propensity]\n"
                      "covariates = [\"age\", \"stage\"]\ncaliper = 0.2\n\n[cox]\ncovariates = [\"age\", \"stage\"]\n\n"
                      "[rmst]\ntau = 12\n\n[bayes]\nmodels = [\"weibull\"]\nadjustments = [\"none\", \"ate\", \"matched\"]\n"
                      "priors = [\"weakly_informative\", \"skeptical\"]\n'''\n"
                      "(work / 'study.toml').write_text(spec);"),
        new_markdown_cell("A mistake in the data gets one clear message naming the column and rows:"),
        new_code_cell("from bayeshcc.cohort import Cohort\nfrom bayeshcc.spec import load_spec\n"
                      "from bayeshcc.errors import CohortError\n"
                      "bad = frame.copy(); bad.loc[3, 'months'] = -1\n"
                      "try:\n    Cohort.from_dataframe(bad, load_spec(work / 'study.toml'))\n"
                      "except CohortError as exc:\n    print(exc)"),
        new_markdown_cell("One fit from Python: the weighted (ATE) Weibull model, sandwich-calibrated."),
        new_code_cell("import bayeshcc as bh\n"
                      "fit = bh.fit(frame, time='months', event='died', treatment='arm', treated='drug_a',\n"
                      "             outcome='os', adjustment='ate', covariates=['age', 'stage'],\n"
                      "             draws=DRAWS, tune=DRAWS, chains=CHAINS, thresholds=[0.8])\n"
                      "fit.hazard_ratio()"),
        new_code_cell("fit.survival_function([6, 12])"),
        new_markdown_cell("The fit's main quantities in one table, a profile's curves, and the model "
                          "against the (weighted) Kaplan-Meier curves:"),
        new_code_cell("fit.summary()"),
        new_code_cell("profiles = frame.head(2)[['arm', 'age', 'stage']]\n"
                      "fit.predict_survival(profiles, [6, 12])"),
        new_code_cell("fit.plot_survival();"),
        new_markdown_cell("The whole analysis of the spec (as `bayeshcc analyze`), in memory, then "
                          "written as a results folder:"),
        new_code_cell("res = bh.analyze(work / 'cohort.csv', work / 'study.toml', draws=DRAWS, tune=DRAWS,\n"
                      "                 chains=CHAINS)\n"
                      "res.tables['posterior_hr'][['adjustment', 'prior', 'hr_median', "
                      "'hr_lower', 'hr_upper', 'prob_hr_below_1', 'reliable']]"),
        new_code_cell("out = res.write(work / 'results')\n"
                      "assert (out / 'report.html').exists()\n"
                      "res.tables['rmst']"),
    ],
}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                               "display_name": "Python 3",
                                                               "language": "python"}})
        nbformat.write(nb, HERE / name)
        print(HERE / name)
