# SPDX-License-Identifier: GPL-3.0-or-later
# Packages the module CMake built (pkh/_pkh*.so): nothing is compiled here. The distribution is
# marked as having an extension so that the wheel is tagged for this Python and platform.
from setuptools import setup
from setuptools.dist import Distribution


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(distclass=BinaryDistribution)
