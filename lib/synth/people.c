/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Household members of the synthetic survey: who lives in a household of a given size and
 * welfare (head, spouse, children, parents, grandchildren, other relatives), with age, sex,
 * schooling, pregnancy, severe disability and work. The household's component counts are
 * computed from these rows, so the two files always agree.
 */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "internal/synth.h"

/* Relation to the head (close to SUSENAS r403). */
enum {
    REL_HEAD = 1,
    REL_SPOUSE = 2,
    REL_CHILD = 3,
    REL_CHILD_IN_LAW = 4,
    REL_GRANDCHILD = 5,
    REL_PARENT = 6,
    REL_OTHER = 7
};
enum { SEX_MALE = 1, SEX_FEMALE = 2 };
/* School level attended (now, or the highest ever for those not attending). */
enum { SCH_NONE = 0, SCH_SD = 1, SCH_SMP = 2, SCH_SMA = 3, SCH_HIGHER = 4 };

static double unif(gsl_rng *r)
{
    return gsl_rng_uniform(r);
}

static int bern(gsl_rng *r, double p)
{
    return gsl_rng_uniform(r) < p;
}

/* Uniform integer in [lo, hi]; lo when the range is empty (GSL's handler would abort on 0). */
static int64_t unif_int(gsl_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo) {
        return lo;
    }
    return lo + (int64_t)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1));
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

typedef struct head_info {
    int64_t age, sex, spouse, spouse_age;
} head_info;

static void draw_head(int size, gsl_rng *r, head_info *h)
{
    if (size == 1) {
        if (bern(r, 0.45)) {
            h->age = clamp64(60 + (int64_t)gsl_ran_exponential(r, 9.0), 60, 97);
        } else {
            h->age = unif_int(r, 19, 59);
        }
        h->sex = bern(r, h->age >= 60 ? 0.60 : 0.35) ? SEX_FEMALE : SEX_MALE;
        h->spouse = 0;
        return;
    }
    h->age = clamp64((int64_t)floor(48.0 + gsl_ran_gaussian_ziggurat(r, 14.0) + 0.5), 19, 97);
    h->sex = bern(r, h->age >= 60 ? 0.20 : 0.10) ? SEX_FEMALE : SEX_MALE;
    const double p_spouse = h->sex == SEX_FEMALE ? 0.05 : (h->age < 65 ? 0.95 : 0.75);
    h->spouse = bern(r, p_spouse);
    h->spouse_age = 0;
    if (h->spouse) {
        const double gap = 3.0 + gsl_ran_gaussian_ziggurat(r, 3.5);
        const double a = h->sex == SEX_MALE ? (double)h->age - gap : (double)h->age + gap;
        h->spouse_age = clamp64((int64_t)floor(a + 0.5), 16, 97);
    }
}

/* Relation and age of a member after the head, spouse and parent; `mother` is the age of the
 * woman of the couple (or what it would be). */
static void draw_relative(int64_t mother, int64_t head_age, gsl_rng *r, int64_t *rel, int64_t *age)
{
    const double p_grandchild =
        mother >= 47 ? 0.25 * fmin(1.0, 0.3 + (double)(mother - 47) / 10.0) : 0.0;
    const double p_in_law = mother >= 50 ? 0.05 : 0.0;
    const double u = unif(r);
    if (u < p_grandchild) {
        *rel = REL_GRANDCHILD;
        *age = unif_int(r, 0, mother - 40 < 17 ? mother - 40 : 17);
    } else if (u < p_grandchild + p_in_law) {
        *rel = REL_CHILD_IN_LAW;
        *age = clamp64(mother - unif_int(r, 18, 30), 17, 97);
    } else if (u < p_grandchild + p_in_law + 0.04 || mother < 17) {
        *rel = REL_OTHER;
        *age = unif_int(r, 0, head_age < 40 ? 25 : 70);
    } else {
        *rel = REL_CHILD;
        *age = unif_int(r, mother > 42 ? mother - 42 : 0, mother - 17);
    }
}

/* Highest level ever attended by someone aged 19+ who is not attending now. */
static int64_t adult_school(int64_t age, double z, int urban, gsl_rng *r)
{
    static const double cut[] = {1.9, 0.55, -0.15, -1.95};
    const double q =
        0.8 * z + 0.4 * urban - 0.035 * (double)(age - 40) + gsl_ran_gaussian_ziggurat(r, 1.0);
    int64_t c = 0;
    while (c < 4 && q <= cut[c]) {
        c++;
    }
    return SCH_HIGHER - c;
}

/* The level a pupil of this age attends: its normal level, sometimes one behind or ahead. */
static int64_t pupil_level(int64_t age, gsl_rng *r)
{
    const double u = unif(r);
    if (age <= 11) {
        return SCH_SD;
    }
    if (age == 12) {
        return u < 0.85 ? SCH_SD : SCH_SMP;
    }
    if (age == 13) {
        return u < 0.20 ? SCH_SD : SCH_SMP;
    }
    if (age <= 15) {
        return u < 0.85 || age == 14 ? SCH_SMP : SCH_SMA;
    }
    if (age == 16) {
        return u < 0.20 ? SCH_SMP : SCH_SMA;
    }
    if (age == 17) {
        return SCH_SMA;
    }
    if (age == 18) {
        return u < 0.65 ? SCH_SMA : SCH_HIGHER;
    }
    if (age == 19) {
        return u < 0.25 ? SCH_SMA : SCH_HIGHER;
    }
    return SCH_HIGHER;
}

/* Probability of attending school at `age` (before disability). */
static double p_attend(int64_t age, double z, int urban)
{
    if (age <= 5) {
        return 0.0;
    }
    if (age == 6) {
        return 0.35;
    }
    if (age <= 12) {
        return 0.985;
    }
    if (age <= 15) {
        return gsl_cdf_ugaussian_P(1.9 + 0.4 * z);
    }
    if (age <= 18) {
        return gsl_cdf_ugaussian_P(0.65 + 0.5 * z + 0.2 * urban);
    }
    if (age <= 21) {
        return gsl_cdf_ugaussian_P(-0.7 + 0.6 * z + 0.3 * urban);
    }
    if (age <= 24) {
        return gsl_cdf_ugaussian_P(-1.3 + 0.6 * z);
    }
    return 0.0;
}

static void draw_school(int64_t age, double z, int urban, int disabled, gsl_rng *r, int64_t *school,
                        int64_t *attending)
{
    const double p = p_attend(age, z, urban) * (disabled ? 0.4 : 1.0);
    *attending = p > 0.0 && bern(r, p);
    if (*attending) {
        *school = pupil_level(age, r);
    } else if (age <= 6) {
        *school = SCH_NONE;
    } else if (age <= 12) {
        *school = bern(r, 0.5) ? SCH_SD : SCH_NONE;
    } else if (age <= 15) {
        *school = bern(r, 0.8) ? SCH_SD : SCH_NONE;
    } else if (age <= 18) {
        *school = bern(r, 0.6) ? SCH_SMP : SCH_SD;
    } else {
        *school = adult_school(age, z, urban, r);
    }
}

static double p_disabled(int64_t age)
{
    if (age < 5) {
        return 0.002;
    }
    if (age < 18) {
        return 0.004;
    }
    if (age < 60) {
        return 0.006;
    }
    if (age < 70) {
        return 0.03;
    }
    return age < 80 ? 0.06 : 0.12;
}

static double p_pregnant(int64_t age)
{
    static const double by_5y[] = {0.10, 0.20, 0.19, 0.15, 0.09, 0.03, 0.006};
    if (age < 15 || age > 49) {
        return 0.0;
    }
    return by_5y[(age - 15) / 5];
}

static double p_working(int64_t age, int64_t sex, int64_t rel, int attending, int disabled,
                        double z)
{
    if (age < 10) {
        return 0.0;
    }
    if (disabled) {
        return 0.05;
    }
    if (attending) {
        return 0.04;
    }
    if (age < 15) {
        return z < -1.0 ? 0.08 : 0.04;
    }
    const int male = sex == SEX_MALE;
    if (age < 60) {
        return male ? (rel == REL_HEAD ? 0.95 : 0.75) : (rel == REL_HEAD ? 0.70 : 0.52);
    }
    if (age < 70) {
        return male ? 0.70 : 0.38;
    }
    return male ? 0.40 : 0.18;
}

/* Fill rows 0..size-1 with relation, age and sex. */
static void draw_roster(int size, gsl_rng *r, pkh__synth_people *p)
{
    head_info h;
    draw_head(size, r, &h);
    int k = 0;
    p->relation[k] = REL_HEAD;
    p->age[k] = h.age;
    p->sex[k++] = h.sex;
    if (h.spouse) {
        p->relation[k] = REL_SPOUSE;
        p->age[k] = h.spouse_age;
        p->sex[k++] = h.sex == SEX_MALE ? SEX_FEMALE : SEX_MALE;
    }
    const int64_t mother = h.sex == SEX_FEMALE ? h.age : (h.spouse ? h.spouse_age : h.age - 4);
    if (k < size && h.age <= 55 && bern(r, 0.13)) {
        p->relation[k] = REL_PARENT;
        p->age[k] = clamp64(h.age + unif_int(r, 20, 34), 40, 99);
        p->sex[k++] = bern(r, 0.65) ? SEX_FEMALE : SEX_MALE;
    }
    for (; k < size; k++) {
        draw_relative(mother, h.age, r, &p->relation[k], &p->age[k]);
        p->sex[k] = bern(r, 0.49) ? SEX_FEMALE : SEX_MALE;
    }
}

void pkh__synth_people_draw(const pkh__synth_stratum *s, double z, int size, gsl_rng *r,
                            pkh__synth_people *p, pkh__synth_roster *out)
{
    draw_roster(size, r, p);
    const int64_t couple = size > 1 && p->relation[1] == REL_SPOUSE;
    memset(out, 0, sizeof *out);
    for (int k = 0; k < size; k++) {
        const int64_t age = p->age[k], sex = p->sex[k], rel = p->relation[k];
        const int disabled = bern(r, p_disabled(age) * (z < -1.0 ? 1.3 : 1.0));
        draw_school(age, z, s->urban, disabled, r, &p->school[k], &p->attending[k]);
        const int partnered = rel == REL_CHILD_IN_LAW || (rel <= REL_SPOUSE && couple);
        p->pregnant[k] = sex == SEX_FEMALE && !disabled && partnered && bern(r, p_pregnant(age));
        p->disabled[k] = disabled;
        p->working[k] = bern(r, p_working(age, sex, rel, (int)p->attending[k], disabled, z));
        out->n_working += p->working[k];
        out->n_pregnant += p->pregnant[k];
        out->n_child06 += age <= 6 && !p->attending[k];
        out->n_sd += p->attending[k] && p->school[k] == SCH_SD;
        out->n_smp += p->attending[k] && p->school[k] == SCH_SMP;
        out->n_sma += p->attending[k] && p->school[k] == SCH_SMA;
        out->n_disabled += disabled;
        out->n_elderly += age >= 60;
    }
    out->head_educ = p->school[0];
    out->head_sex = p->sex[0];
}
