/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Calibration tables of the synthetic survey, by year.
 *
 * Published (BPS, see ../shared/DOMAIN.md section 3): the provincial headcount ratios of
 * March 2019, the national total (268.07 million persons), the poverty lines of DKI Jakarta
 * (Rp 637,260) and Sulawesi Tenggara (Rp 327,402), the national urban and rural headcounts
 * (6.69% and 12.85%, reproduced through p0_urban_ratio). Approximate or derived (plausible, not
 * published figures): provincial populations and urban shares (rounded projections), every
 * other provincial poverty line, and the urban/rural split of each line and headcount.
 */
#include "internal/synth.h"

static const pkh__synth_province provinces_2019[] = {
    {11, "Aceh", 5371.5, 0.309, 15.32, 486000},
    {12, "Sumatera Utara", 14562.5, 0.555, 8.83, 482000},
    {13, "Sumatera Barat", 5441.2, 0.470, 6.42, 516000},
    {14, "Riau", 6971.7, 0.410, 7.08, 507000},
    {15, "Jambi", 3624.6, 0.336, 7.60, 462000},
    {16, "Sumatera Selatan", 8470.7, 0.390, 12.71, 420000},
    {17, "Bengkulu", 1991.8, 0.333, 15.23, 503000},
    {18, "Lampung", 8447.7, 0.300, 12.62, 421000},
    {19, "Kepulauan Bangka Belitung", 1488.8, 0.580, 4.62, 664000},
    {21, "Kepulauan Riau", 2189.7, 0.836, 5.90, 569000},
    {31, "DKI Jakarta", 10557.8, 1.000, 3.47, 637260},
    {32, "Jawa Barat", 49316.7, 0.745, 6.91, 392000},
    {33, "Jawa Tengah", 34718.2, 0.515, 10.80, 369000},
    {34, "DI Yogyakarta", 3842.9, 0.705, 11.70, 432000},
    {35, "Jawa Timur", 39698.6, 0.525, 10.37, 399000},
    {36, "Banten", 12927.3, 0.680, 5.09, 474000},
    {51, "Bali", 4336.9, 0.655, 3.79, 403000},
    {52, "Nusa Tenggara Barat", 5070.4, 0.480, 14.56, 403000},
    {53, "Nusa Tenggara Timur", 5456.2, 0.227, 21.09, 373000},
    {61, "Kalimantan Barat", 5069.1, 0.326, 7.49, 438000},
    {62, "Kalimantan Tengah", 2714.9, 0.366, 4.98, 452000},
    {63, "Kalimantan Selatan", 4244.1, 0.455, 4.55, 463000},
    {64, "Kalimantan Timur", 3721.4, 0.677, 5.94, 622000},
    {65, "Kalimantan Utara", 742.2, 0.509, 6.63, 646000},
    {71, "Sulawesi Utara", 2506.9, 0.509, 7.66, 372000},
    {72, "Sulawesi Tengah", 3054.0, 0.243, 13.48, 452000},
    {73, "Sulawesi Selatan", 8851.2, 0.420, 8.69, 331000},
    {74, "Sulawesi Tenggara", 2704.7, 0.299, 11.24, 327402},
    {75, "Gorontalo", 1202.6, 0.390, 15.52, 332000},
    {76, "Sulawesi Barat", 1355.6, 0.229, 11.02, 339000},
    {81, "Maluku", 1802.9, 0.384, 17.69, 512000},
    {82, "Maluku Utara", 1255.8, 0.267, 6.77, 446000},
    {91, "Papua Barat", 959.6, 0.327, 22.17, 564000},
    {94, "Papua", 3379.3, 0.260, 27.53, 543000},
};

static const pkh__synth_year years[] = {
    {2019, 268074600.0, 10000000.0, 0.61, 0.08, provinces_2019,
     (int)(sizeof provinces_2019 / sizeof provinces_2019[0])},
};

const pkh__synth_year *pkh__synth_year_find(int year)
{
    if (year == 0) {
        year = PKH_SYNTH_DEFAULT_YEAR;
    }
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        if (years[i].year == year) {
            return &years[i];
        }
    }
    return NULL;
}

int pkh_synth_year_supported(int year)
{
    return pkh__synth_year_find(year) != NULL;
}
