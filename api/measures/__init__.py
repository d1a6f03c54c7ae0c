"""Poverty, inequality and service indicators computed from Susenas microdata on request.

Pure functions over Polars frames, following ``MEASURES.md`` exactly; every function computes
all domains (each region of the chosen levels × the breakdowns) in one pass.

- :func:`~api.measures.poverty.poverty_measures`: FGT P0/P1/P2, Watts, number of poor with
  SE, CI, RSE and the BPS reliability flag; population, mean expenditure, near/very/extreme
  poor, Gini, decile and quintile cuts, decile shares, share of the bottom 40%.
- :func:`~api.measures.profile.poverty_profile`: very poor / poor / near poor / non-poor
  people by a household characteristic, with SEs.
- :func:`~api.measures.indicators.indicator_estimates`: an indicator of the catalogue
  (:func:`~api.measures.catalogue.load_catalogue`, ``data/catalogue/indicators.yaml``).
- :func:`~api.measures.frames.prepare_sample`: check a release once and reuse it.

Errors are :class:`~api.errors.ApiError` subclasses (:mod:`api.measures.errors`).
"""

from api.measures.catalogue import Catalogue, Indicator, load_catalogue
from api.measures.frames import Sample, prepare_sample
from api.measures.indicators import indicator_estimates
from api.measures.poverty import poverty_measures
from api.measures.profile import poverty_profile
from api.measures.variance import LonelyPsu

__all__ = [
    "Catalogue",
    "Indicator",
    "LonelyPsu",
    "Sample",
    "indicator_estimates",
    "load_catalogue",
    "poverty_measures",
    "poverty_profile",
    "prepare_sample",
]
