/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Preset programmes: PKH 2019, 2020, 2021 and Turkey's ŞNT, as rules-file JSON kept in the
 * library (one string per line: ISO C limits the length of one string literal). Every amount
 * comes from ../shared/DOMAIN.md with its source; the notes mark what is uncertain (⚠️).
 * `pkh simulate --show-program NAME` prints a preset, to start a rules file from it.
 */
#include <stdio.h>

#include "internal/program.h"

/* The seven PKH components with the member conditions of `pkh synth`'s member file
 * (docs/synthetic-data.md): school 1 SD, 2 SMP, 3 SMA; attending 1 when in school now. */
#define PKH_COMPONENT(name, label, amount, count, member)                             \
    "    {\"name\": \"" name "\", \"label\": \"" label "\", \"amount\": " amount ",", \
        "     \"count\": \"" count "\", \"member\": \"" member "\"}"

static const char *const pkh_2019[] = {
    "{",
    "  \"name\": \"pkh-2019\",",
    "  \"title\": \"PKH 2019 (Program Keluarga Harapan): benefit index 2019, reguler and akses\",",
    "  \"country\": \"Indonesia\",",
    "  \"year\": 2019,",
    "  \"currency\": \"IDR\",",
    "  \"amount_period\": \"year\",",
    "  \"notes\": [",
    "    \"Component amounts (Rp per counted member per year): pregnant or post-partum 2,400,000; "
    "early childhood 0-6 2,400,000; SD 900,000; SMP 1,500,000; SMA 2,000,000; severe disability "
    "2,400,000; elderly 60+ 2,400,000. Source: Antara, 2019, "
    "https://en.antaranews.com/news/122402 (DOMAIN.md S3) ✅\",",
    "    \"Flat benefit (bantuan tetap) per family per year: reguler 550,000; PKH Akses (remote "
    "areas) 1,000,000; paid once, in the first stage. Source: Antara 2019 (S3) ✅. Mark Akses "
    "families with the flag akses (pkh simulate --akses COL); without it every family is "
    "reguler.\",",
    "    \"Elderly from age 60 in the 2019 index (S4) ✅.\",",
    "    \"At most four components (members) per family: read in a 2021 text (S10) ✅ and "
    "applied to 2019 ⚠️. Which four are paid when a family has more is not in the sources: the "
    "highest-paid are kept (ties in the order listed) ⚠️.\",",
    "    \"Four stages a year, January, April, July, October (S3) ✅; component money split "
    "equally across them (annual / 4) ⚠️ (derived).\",",
    "    \"A family with no component is paid nothing, not even the flat benefit ⚠️ (rule of "
    "the simulation, from the issue; the 2019 rules pay the flat benefit to KPM families, who "
    "normally have a component).\",",
    "    \"Conditions (health visits, 85% school attendance ⚠️) are assumed met: the "
    "simulation "
    "pays every counted member.\"",
    "  ],",
    "  \"flags\": [",
    "    {\"name\": \"akses\", \"description\": \"PKH Akses family (remote areas): paid the "
    "Akses flat benefit\", \"default\": false}",
    "  ],",
    "  \"components\": [",
    PKH_COMPONENT("pregnant", "Ibu hamil/nifas (pregnant or post-partum)", "2400000", "n_pregnant",
                  "pregnant == 1") ",",
    PKH_COMPONENT("child06", "Anak usia dini 0-6 (not yet in school)", "2400000", "n_child06",
                  "age <= 6 && attending == 0") ",",
    PKH_COMPONENT("sd", "SD/MI pupil", "900000", "n_sd", "attending == 1 && school == 1") ",",
    PKH_COMPONENT("smp", "SMP/MTs pupil", "1500000", "n_smp", "attending == 1 && school == 2") ",",
    PKH_COMPONENT("sma", "SMA/MA pupil", "2000000", "n_sma", "attending == 1 && school == 3") ",",
    PKH_COMPONENT("disabled", "Penyandang disabilitas berat (severe disability)", "2400000",
                  "n_disabled_severe", "disabled_severe == 1") ",",
    PKH_COMPONENT("elderly", "Lanjut usia 60+", "2400000", "n_elderly60", "age >= 60"),
    "  ],",
    "  \"flat\": [",
    "    {\"name\": \"reguler\", \"label\": \"Bantuan tetap reguler\", \"amount\": 550000, "
    "\"stages\": [1], \"condition\": \"!akses\"},",
    "    {\"name\": \"akses\", \"label\": \"Bantuan tetap PKH Akses\", \"amount\": 1000000, "
    "\"stages\": [1], \"condition\": \"akses\"}",
    "  ],",
    "  \"cap\": {\"members\": 4, \"keep\": \"highest\"},",
    "  \"stages\": [",
    "    {\"name\": \"January\"}, {\"name\": \"April\"}, {\"name\": \"July\"}, "
    "{\"name\": \"October\"}",
    "  ],",
    "  \"eligibility\": {\"require_component\": true}",
    "}",
    NULL};

static const char *const pkh_2020[] = {
    "{",
    "  \"name\": \"pkh-2020\",",
    "  \"title\": \"PKH 2020: January rates for January-March, the COVID-19 top-up (+25%) "
    "April-December\",",
    "  \"country\": \"Indonesia\",",
    "  \"year\": 2020,",
    "  \"currency\": \"IDR\",",
    "  \"amount_period\": \"year\",",
    "  \"notes\": [",
    "    \"January 2020 rates (Rp per member per year): pregnant 3,000,000 and early childhood "
    "3,000,000 (S5, S16) ✅; SD 900,000, SMP 1,500,000, SMA 2,000,000 ✅; severe disability "
    "2,400,000 (S16) ✅; elderly 2,400,000 ✅.\",",
    "    \"April-December 2020 top-up rates (Askolani, MoF, 8 Apr 2020, S17): pregnant "
    "3,750,000 ✅; early childhood 3,750,000 ✅; SMP 1,875,000 ✅; SMA 2,500,000 ✅; SD "
    "1,125,000 ⚠️ (the source prints 1.25 million, read as a typo for 900,000 x 1.25); severe "
    "disability 3,000,000 ⚠️ and elderly 3,000,000 ⚠️ (truncated in the source; 2,400,000 "
    "x "
    "1.25).\",",
    "    \"No flat benefit in 2020 ⚠️ (reportedly dropped; not confirmed).\",",
    "    \"Stages: one quarterly payment in January for January-March at the January rates, "
    "then monthly from April (S23) ✅ to December ⚠️: the year's amount per member is 3/12 of "
    "the January rate plus 9/12 of the top-up rate (pregnant: 750,000 + 2,812,500 = "
    "3,562,500).\",",
    "    \"At most four components per family (S10) ✅ (2021 text), highest-paid kept ⚠️. "
    "The Tempo and Jokowi statements of March-April 2020 mix the January change and the "
    "top-up (S16, S20) ⚠️.\"",
    "  ],",
    "  \"components\": [",
    PKH_COMPONENT("pregnant", "Ibu hamil/nifas (pregnant or post-partum)", "3000000", "n_pregnant",
                  "pregnant == 1") ",",
    PKH_COMPONENT("child06", "Anak usia dini 0-6 (not yet in school)", "3000000", "n_child06",
                  "age <= 6 && attending == 0") ",",
    PKH_COMPONENT("sd", "SD/MI pupil", "900000", "n_sd", "attending == 1 && school == 1") ",",
    PKH_COMPONENT("smp", "SMP/MTs pupil", "1500000", "n_smp", "attending == 1 && school == 2") ",",
    PKH_COMPONENT("sma", "SMA/MA pupil", "2000000", "n_sma", "attending == 1 && school == 3") ",",
    PKH_COMPONENT("disabled", "Penyandang disabilitas berat (severe disability)", "2400000",
                  "n_disabled_severe", "disabled_severe == 1") ",",
    PKH_COMPONENT("elderly", "Lanjut usia 60+", "2400000", "n_elderly60", "age >= 60"),
    "  ],",
    "  \"schedules\": {",
    "    \"topup\": {\"pregnant\": 3750000, \"child06\": 3750000, \"sd\": 1125000, "
    "\"smp\": 1875000, \"sma\": 2500000, \"disabled\": 3000000, \"elderly\": 3000000}",
    "  },",
    "  \"cap\": {\"members\": 4, \"keep\": \"highest\"},",
    "  \"stages\": [",
    "    {\"name\": \"January (Jan-Mar)\", \"months\": 3},",
    "    {\"name\": \"April\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"May\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"June\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"July\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"August\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"September\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"October\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"November\", \"months\": 1, \"amounts\": \"topup\"},",
    "    {\"name\": \"December\", \"months\": 1, \"amounts\": \"topup\"}",
    "  ],",
    "  \"eligibility\": {\"require_component\": true}",
    "}",
    NULL};

static const char *const pkh_2021[] = {
    "{",
    "  \"name\": \"pkh-2021\",",
    "  \"title\": \"PKH 2021 (Program Keluarga Harapan): benefit index 2021\",",
    "  \"country\": \"Indonesia\",",
    "  \"year\": 2021,",
    "  \"currency\": \"IDR\",",
    "  \"amount_period\": \"year\",",
    "  \"notes\": [",
    "    \"Amounts (Rp per member per year): pregnant 3,000,000 and early childhood 3,000,000 "
    "(S5, S18) ✅; SD 900,000 (75,000 a month) ✅; SMP 1,500,000 ✅; SMA 2,000,000 ✅; severe "
    "disability 2,400,000 ✅; elderly 2,400,000 ✅ (voi.id, S18).\",",
    "    \"No flat benefit ⚠️ (reportedly dropped from 2020).\",",
    "    \"At most four components per family (S10) ✅; highest-paid kept ⚠️.\",",
    "    \"Four stages, January, April, July, October (S24, S5) ✅; annual / 4 each ⚠️ "
    "(derived).\"",
    "  ],",
    "  \"components\": [",
    PKH_COMPONENT("pregnant", "Ibu hamil/nifas (pregnant or post-partum)", "3000000", "n_pregnant",
                  "pregnant == 1") ",",
    PKH_COMPONENT("child06", "Anak usia dini 0-6 (not yet in school)", "3000000", "n_child06",
                  "age <= 6 && attending == 0") ",",
    PKH_COMPONENT("sd", "SD/MI pupil", "900000", "n_sd", "attending == 1 && school == 1") ",",
    PKH_COMPONENT("smp", "SMP/MTs pupil", "1500000", "n_smp", "attending == 1 && school == 2") ",",
    PKH_COMPONENT("sma", "SMA/MA pupil", "2000000", "n_sma", "attending == 1 && school == 3") ",",
    PKH_COMPONENT("disabled", "Penyandang disabilitas berat (severe disability)", "2400000",
                  "n_disabled_severe", "disabled_severe == 1") ",",
    PKH_COMPONENT("elderly", "Lanjut usia 60+", "2400000", "n_elderly60", "age >= 60"),
    "  ],",
    "  \"cap\": {\"members\": 4, \"keep\": \"highest\"},",
    "  \"stages\": [",
    "    {\"name\": \"January\"}, {\"name\": \"April\"}, {\"name\": \"July\"}, "
    "{\"name\": \"October\"}",
    "  ],",
    "  \"eligibility\": {\"require_component\": true}",
    "}",
    NULL};

static const char *const snt_tr[] = {
    "{",
    "  \"name\": \"snt-tr\",",
    "  \"title\": \"Turkey: Şartlı Nakit Transferi (ŞNT: conditional education and health "
    "assistance), amounts of about 2019\",",
    "  \"country\": \"Turkey\",",
    "  \"year\": 2019,",
    "  \"currency\": \"TRY\",",
    "  \"amount_period\": \"month\",",
    "  \"notes\": [",
    "    \"Monthly TL per child: primary (ilköğretim) boy 35, girl 40; secondary (ortaöğretim) "
    "boy 50, girl 60; health 0-6 (ŞSY) 35. Source: Esenler SYDV, undated page "
    "(https://www.esenlersydv.org.tr/yardimlar/sartli-cocuk-yardimlari, DOMAIN.md S84) ✅; that "
    "these were the 2019 amounts is likely but not confirmed ⚠️ (about 2013: 30/35/45/55/30, "
    "S83; about 2022-2024: 90/100/130/150, S78, S82).\",",
    "    \"Pregnancy (şartlı gebelik yardımı): 45 TL a month ⚠️ is the 2022 amount (S85); "
    "the "
    "2019 amount was not found. The one-off payment for a birth in hospital (100 TL in 2022) is "
    "not modelled. A woman counted as pregnant is paid for the whole year ⚠️: the programme "
    "pays "
    "during the pregnancy only, so this overstates its cost.\",",
    "    \"Health 0-6 pays until the child is 72 months old (S79): age < 6 in completed years "
    "⚠️.\",",
    "    \"Member conditions use `pkh synth`'s member columns: primary = school 1 or 2 (grades "
    "1-8, the Indonesian SD and SMP levels), secondary = school 3; sex 1 male, 2 female; "
    "attending 1 ⚠️ (map your survey's codes with your own rules file). The attendance "
    "condition (at most 4 days absent a month) and the health visits are assumed met.\",",
    "    \"No cap on children per family ⚠️ (none found). Paid to the mother every two months "
    "(S78, S82) ✅: six stages. Eligibility in Turkey: no social security and income per person "
    "below 1/3 of the net minimum wage ⚠️ (S79), decided by the SYDV board with a scoring "
    "formula "
    "(S81): give it with --recipient or --score.\"",
    "  ],",
    "  \"components\": [",
    "    {\"name\": \"primary_girl\", \"label\": \"İlköğretim, girl\", \"amount\": 40,",
    "     \"count\": \"n_primary_girl\", \"member\": \"attending == 1 && (school == 1 || "
    "school == 2) && sex == 2\"},",
    "    {\"name\": \"primary_boy\", \"label\": \"İlköğretim, boy\", \"amount\": 35,",
    "     \"count\": \"n_primary_boy\", \"member\": \"attending == 1 && (school == 1 || "
    "school == 2) && sex == 1\"},",
    "    {\"name\": \"secondary_girl\", \"label\": \"Ortaöğretim, girl\", \"amount\": 60,",
    "     \"count\": \"n_secondary_girl\", \"member\": \"attending == 1 && school == 3 && "
    "sex == 2\"},",
    "    {\"name\": \"secondary_boy\", \"label\": \"Ortaöğretim, boy\", \"amount\": 50,",
    "     \"count\": \"n_secondary_boy\", \"member\": \"attending == 1 && school == 3 && "
    "sex == 1\"},",
    "    {\"name\": \"health06\", \"label\": \"Şartlı sağlık yardımı, child 0-6\", \"amount\": "
    "35,",
    "     \"count\": \"n_child05\", \"member\": \"age < 6\"},",
    "    {\"name\": \"pregnant\", \"label\": \"Şartlı gebelik yardımı\", \"amount\": 45,",
    "     \"count\": \"n_pregnant\", \"member\": \"pregnant == 1\"}",
    "  ],",
    "  \"stages\": [",
    "    {\"name\": \"January-February\", \"months\": 2}, {\"name\": \"March-April\", "
    "\"months\": 2},",
    "    {\"name\": \"May-June\", \"months\": 2}, {\"name\": \"July-August\", \"months\": 2},",
    "    {\"name\": \"September-October\", \"months\": 2}, {\"name\": \"November-December\", "
    "\"months\": 2}",
    "  ],",
    "  \"eligibility\": {\"require_component\": true}",
    "}",
    NULL};

static const struct {
    const char *name;
    const char *const *lines;
} presets[] = {
    {"pkh-2019", pkh_2019},
    {"pkh-2020", pkh_2020},
    {"pkh-2021", pkh_2021},
    {"snt-tr", snt_tr},
};

#define N_PRESETS ((int64_t)(sizeof presets / sizeof presets[0]))

int64_t pkh_program_preset_count(void)
{
    return N_PRESETS;
}

const char *pkh_program_preset_name(int64_t i)
{
    return i >= 0 && i < N_PRESETS ? presets[i].name : NULL;
}

char *pkh__preset_text(const char *name, const pkh_allocator *a, size_t *len)
{
    for (int64_t i = 0; i < N_PRESETS; i++) {
        if (strcmp(presets[i].name, name) != 0) {
            continue;
        }
        size_t n = 0;
        for (const char *const *l = presets[i].lines; *l != NULL; l++) {
            n += strlen(*l) + 1;
        }
        char *text = pkh__alloc(a, n + 1);
        if (text == NULL) {
            return NULL;
        }
        size_t o = 0;
        for (const char *const *l = presets[i].lines; *l != NULL; l++) {
            const size_t k = strlen(*l);
            memcpy(text + o, *l, k);
            text[o + k] = '\n';
            o += k + 1;
        }
        text[o] = '\0';
        *len = o;
        return text;
    }
    return NULL;
}

static void preset_list(char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < N_PRESETS && o < cap; i++) {
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", presets[i].name);
    }
}

static bool is_preset(const char *name)
{
    for (int64_t i = 0; i < N_PRESETS; i++) {
        if (strcmp(presets[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

pkh_status pkh_program_preset(const char *name, const pkh_allocator *allocator, pkh_program **out,
                              pkh_error *err)
{
    const pkh_allocator *a = pkh__allocator(allocator);
    if (name == NULL || !is_preset(name)) {
        char list[200];
        preset_list(list, sizeof list);
        return pkh__errorf(err, PKH_ENOTFOUND,
                           "no preset programme named \"%s\" (the presets "
                           "are: %s)",
                           name != NULL ? name : "", list);
    }
    size_t len = 0;
    char *text = pkh__preset_text(name, a, &len);
    if (text == NULL) {
        return pkh__enomem(err);
    }
    char source[96];
    snprintf(source, sizeof source, "%s (preset)", name);
    const pkh_status st = pkh_program_parse(text, len, source, allocator, out, err);
    pkh__free(a, text, len + 1);
    return st;
}

pkh_status pkh_program_load(const char *name_or_path, const pkh_allocator *allocator,
                            pkh_program **out, pkh_error *err)
{
    if (name_or_path == NULL) {
        return pkh__errorf(err, PKH_EINVAL,
                           "which programme? Give a preset name or a rules "
                           "file");
    }
    if (is_preset(name_or_path)) {
        return pkh_program_preset(name_or_path, allocator, out, err);
    }
    const pkh_status st = pkh_program_read_path(name_or_path, allocator, out, err);
    if (st == PKH_ENOTFOUND && err != NULL && strchr(name_or_path, '/') == NULL &&
        strchr(name_or_path, '.') == NULL) {
        char list[200];
        preset_list(list, sizeof list);
        return pkh__errorf(err, PKH_ENOTFOUND,
                           "\"%s\" is neither a preset programme (%s) nor "
                           "a rules file",
                           name_or_path, list);
    }
    return st;
}
