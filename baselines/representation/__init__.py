"""Reference methods of the `representation` family (semisup / cluster / probe), registered like any plugin.

Floors (role `floor`): `kmeans` (cluster), `supervised-mlp` (semisup), `pixels` (probe); `pca-kmeans` (cluster,
role `classical`). Each declares its facts for the reports (`declared.meta`).
Methods: `aae` (semisup + cluster), `pixelgan` (cluster + semisup), `iae` (cluster + semisup),
`wta-fc` and `wta-conv` (probe + semisup with a logistic regression on top); `m1m2` (semisup reference).
"""
from __future__ import annotations

from latentbench.registry import register_method

from .declared import meta

FAMILY = "representation"
M = "latentbench.baselines.representation"


def register() -> None:
    register_method("kmeans", FAMILY, f"{M}.floors:KMeansPixels", tasks=("cluster/*",),
                    description="floor: k-means on raw pixels (k-means++, 3 restarts)",
                    role="floor", meta=meta("kmeans"))
    register_method("pca-kmeans", FAMILY, f"{M}.floors:PCAKMeans", tasks=("cluster/*",),
                    description="floor: k-means on the top 50 principal components of the pixels",
                    role="classical", meta=meta("pca-kmeans"))
    register_method("supervised-mlp", FAMILY, f"{M}.floors:SupervisedMLP", tasks=("semisup/*",),
                    description="floor: a dropout MLP trained on the labelled draw only",
                    role="floor", meta=meta("supervised-mlp"))
    register_method("pixels", FAMILY, f"{M}.floors:PixelProbe", tasks=("probe/*",),
                    description="floor: raw pixels as the probe's features",
                    role="floor", meta=meta("pixels"))
    register_method("aae", FAMILY, f"{M}.aae:AAE", tasks=("semisup/*", "cluster/*"), version="3",
                    description="adversarial autoencoder, categorical + style code (Makhzani et al. 2015)",
                    meta=meta("aae"))
    register_method("pixelgan", FAMILY, f"{M}.pixelgan:PixelGAN", tasks=("cluster/*", "semisup/*"), version="3",
                    description="PixelGAN autoencoder, categorical prior, small PixelCNN decoder "
                                "(Makhzani & Frey 2017)",
                    meta=meta("pixelgan"))
    register_method("iae", FAMILY, f"{M}.iae:IAE", tasks=("cluster/*", "semisup/*"), version="6",
                    description="implicit autoencoder, categorical code, adversarial reconstruction (Makhzani 2018)",
                    meta=meta("iae"))
    register_method("m1m2", FAMILY, f"{M}.m1m2:M1M2", tasks=("semisup/*",), version="2",
                    description="reference: semi-supervised VAE M1+M2 (Kingma et al. 2014)",
                    role="reference", meta=meta("m1m2"))
    register_method("wta-fc", FAMILY, f"{M}.wta:WTAFC", params={"sparsity": 0.05}, tasks=("probe/*", "semisup/*"),
                    description="fully connected winner-take-all autoencoder, 5% lifetime sparsity "
                                "(Makhzani & Frey 2015)",
                    meta=meta("wta-fc"))
    register_method("wta-conv", FAMILY, f"{M}.wta:WTAConv", params={"sparsity": 0.2}, tasks=("probe/*", "semisup/*"),
                    description="convolutional winner-take-all autoencoder, spatial + 20% lifetime sparsity",
                    meta=meta("wta-conv"))
