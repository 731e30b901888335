/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh simulate: who a cash-transfer programme pays, what it costs, and what it does to
 * poverty, by group; optionally two programmes side by side.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help1[] =
    "Usage: pkh simulate HOUSEHOLDS --program NAME|FILE --income COL --weight COL --size COL\n"
    "                    --line NUMBER|COL [options]\n"
    "\n"
    "Simulate a component-based conditional cash transfer (Indonesia's PKH, Turkey's ŞNT, or\n"
    "your own rules) on household survey or registry data: per household the members counted\n"
    "in each component, the cap, eligibility and the benefit per year and per stage; then, for\n"
    "everyone and by group, the families and persons paid, the budget, and poverty (FGT0/1/2)\n"
    "and inequality (Gini) before and after adding the benefit to welfare. Money is per year\n"
    "in the programme's currency; welfare is per person per month unless --period year.\n"
    "\n"
    "Programme:\n"
    "  --program NAME|FILE  a preset (pkh-2019, pkh-2020, pkh-2021, snt-tr) or a JSON rules\n"
    "                       file (docs/programs.md; start from --show-program NAME)\n"
    "  --show-program NAME|FILE  print the rules as JSON (sources in \"notes\") and exit\n"
    "  --amount NAME=X      change a component's annual amount, or a flat benefit's, e.g.\n"
    "                       --amount smp=2000000 (repeatable)\n"
    "  --cap N              members counted per family at most (0: no cap)\n"
    "  --akses COL          PKH 2019: families with COL != 0 are PKH Akses (remote areas) and\n"
    "                       get the Akses flat benefit (same as --flag akses=COL)\n"
    "  --flag NAME=COL      bind a programme flag to a household column (repeatable)\n"
    "Components (from a roster each member counts once, for the highest-paid component):\n"
    "  --members FILE       member roster: component counts come from its rows through the\n"
    "                       components' member conditions (default: the household count\n"
    "                       columns, e.g. n_sd, as `pkh synth` writes them)\n"
    "  --key COL            the household id column of the roster (and of the households)\n"
    "  --household-key COL  the households' id column when its name differs\n"
    "  --strict             member rows whose key matches no household are an error (by\n"
    "                       default they are counted and reported)\n"
    "Who is paid (default: the programme's own rule; the presets pay every family with a\n"
    "component; a family with no component is never paid):\n"
    "  --recipient COL      families with COL != 0 (e.g. the observed recipients, pkh)\n"
    "  --score COL          rank families by a score, lowest first (e.g. a proxy-means score),\n"
    "                       with one of:\n"
    "    --cutoff X           eligible when score < X\n"
    "    --quota SHARE        at most SHARE of all families (0.12 for 12%)\n"
    "    --families N         at most N families (weighted), e.g. 12000000\n"
    "    --budget AMOUNT      the cut-off that spends at most AMOUNT a year\n"
    "  --all                every family with a component\n";

static const char help2[] =
    "Welfare and poverty:\n"
    "  --income COL         welfare per person (per month: SUSENAS pcexp), before the transfer\n"
    "  --period month|year  unit of --income and --line (default month: an annual family\n"
    "                       benefit adds benefit / 12 / size; year: benefit / size)\n"
    "  --observed-benefit COL  annual household benefit already inside --income, taken out\n"
    "                       first (so 'before' is welfare without the programme)\n"
    "  --weight COL         household weight (default 1)\n"
    "  --size COL           persons in the household (default 1)\n"
    "  --scale COL          welfare per equivalent adult (SILC, TURKSTAT): the household's\n"
    "                       equivalence scale, by which money is divided (default: --size)\n"
    "  --line X             poverty line: a number, a column (BPS province x urban lines), or\n"
    "                       rel:F:median / rel:F:mean of welfare before the transfer\n"
    "  --by COL[,COL...]    groups, e.g. province\n"
    "  --define NAME=EXPR   derive a household column, e.g. remote=prov_code>=91 (repeatable)\n"
    "  --strata COL --psu COL [--fpc COL]  the survey design: linearised standard errors\n"
    "                       and confidence intervals over the full design (a change's from\n"
    "                       the paired difference); the cut-off and relative lines are taken\n"
    "                       as fixed. Without them se, ci_low and ci_high are empty\n"
    "  --lonely-psu P       single-PSU strata: fail (default), certainty, adjust, average,\n"
    "                       remove (as R survey)\n"
    "  --level L            confidence level (default 0.95)\n"
    "Comparing:\n"
    "  --compare NAME|FILE  a second programme, side by side, with a 'difference' row\n"
    "                       (second minus first) for every indicator; same data and options\n"
    "  --compare-amount NAME=X, --compare-cap N   change the second programme\n"
    "Output:\n"
    "  --indicators LIST    indicators to show; NAME or PREFIX* (e.g. budget*), or 'all'.\n"
    "                       Default: all for csv/json; on a table families, persons, budget,\n"
    "                       average_benefit, fgt0_before, fgt0_after, fgt0_change, lifted,\n"
    "                       gini_change\n"
    "  --out FILE           per-household results (CSV; .csv.gz compressed): id, eligible,\n"
    "                       count_, paid_ and amount_ per component, flat, benefit,\n"
    "                       benefit_stage1.., welfare_before, welfare_after\n"
    "  --id COL             household id copied into --out (default: the --key column)\n"
    "  --format F           table (default on a terminal), csv or json\n"
    "  --output FILE        write the results to FILE\n"
    "Reading: --delim C  --decimal ,  --na LIST  --types col:type,...  --threads N\n"
    "\n"
    "Indicators (money per year): families, persons (in families paid), members:C (members\n"
    "paid in component C), budget, budget:C (per component or flat benefit), budget_stage:S,\n"
    "average_benefit (per family paid), benefit_share (of the families' welfare), fgt0/1/2\n"
    "and gini _before, _after, _change, poor_before, poor_after, lifted (persons), gap_before,\n"
    "gap_after (money a year to close every gap), gap_reduction_per_unit (gap closed per unit\n"
    "spent), budget_share_poor (share of the budget paid to families poor before),\n"
    "perfect_targeting_budget (= gap_before). Definitions: docs/programs.md\n"
    "\n"
    "Examples:\n"
    "  pkh synth --households 50000 --out demo\n"
    "  pkh simulate demo-households.csv.gz --program pkh-2019 --recipient pkh \\\n"
    "      --income pcexp --weight weight --size hhsize --line povline --by province\n"
    "  pkh simulate demo-households.csv.gz --members demo-members.csv.gz --key hhid \\\n"
    "      --program pkh-2019 --compare pkh-2019 --compare-amount smp=2000000 --all \\\n"
    "      --income pcexp --weight weight --size hhsize --line povline\n"
    "  pkh simulate demo-households.csv.gz --program pkh-2021 --score pcexp \\\n"
    "      --budget 28.7e12 --income pcexp --weight weight --size hhsize --line povline\n";

#define MAX_REPEAT 64

typedef struct sim_args {
    cli_read rd;
    const char *program, *show, *compare, *members, *key, *hkey, *income, *weight, *size;
    const char *line, *period, *observed, *by, *recipient, *score, *cutoff, *quota;
    const char *families, *budget, *akses, *strata, *psu, *fpc, *indicators, *out;
    const char *format, *output, *cap, *compare_cap, *lonely, *level, *id, *scale;
    const char *flags[MAX_REPEAT], *amounts[MAX_REPEAT], *camounts[MAX_REPEAT];
    const char *defines[MAX_REPEAT];
    int n_flags, n_amounts, n_camounts, n_defines;
    int strict, all;
} sim_args;

static const struct option opts[] = {{"program", required_argument, 0, 0},
                                     {"show-program", required_argument, 0, 0},
                                     {"compare", required_argument, 0, 0},
                                     {"members", required_argument, 0, 0},
                                     {"key", required_argument, 0, 0},
                                     {"household-key", required_argument, 0, 0},
                                     {"income", required_argument, 0, 0},
                                     {"weight", required_argument, 0, 0},
                                     {"size", required_argument, 0, 0},
                                     {"line", required_argument, 0, 0},
                                     {"period", required_argument, 0, 0},
                                     {"observed-benefit", required_argument, 0, 0},
                                     {"by", required_argument, 0, 0},
                                     {"recipient", required_argument, 0, 0},
                                     {"score", required_argument, 0, 0},
                                     {"cutoff", required_argument, 0, 0},
                                     {"quota", required_argument, 0, 0},
                                     {"families", required_argument, 0, 0},
                                     {"budget", required_argument, 0, 0},
                                     {"akses", required_argument, 0, 0},
                                     {"strata", required_argument, 0, 0},
                                     {"psu", required_argument, 0, 0},
                                     {"fpc", required_argument, 0, 0},
                                     {"indicators", required_argument, 0, 0},
                                     {"out", required_argument, 0, 0},
                                     {"format", required_argument, 0, 0},
                                     {"output", required_argument, 0, 0},
                                     {"cap", required_argument, 0, 0},
                                     {"compare-cap", required_argument, 0, 0},
                                     {"flag", required_argument, 0, 0},
                                     {"amount", required_argument, 0, 0},
                                     {"compare-amount", required_argument, 0, 0},
                                     {"define", required_argument, 0, 0},
                                     {"strict", no_argument, 0, 0},
                                     {"lonely-psu", required_argument, 0, 0},
                                     {"level", required_argument, 0, 0},
                                     {"id", required_argument, 0, 0},
                                     {"scale", required_argument, 0, 0},
                                     {"all", no_argument, 0, 0},
                                     {"delim", required_argument, 0, 0},
                                     {"decimal", required_argument, 0, 0},
                                     {"na", required_argument, 0, 0},
                                     {"types", required_argument, 0, 0},
                                     {"columns", required_argument, 0, 0},
                                     {"threads", required_argument, 0, 0},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};

static const char **slot_of(sim_args *a, const char *n)
{
    static const char *const names[] = {
        "program", "show-program", "compare", "members", "key",         "household-key",
        "income",  "weight",       "size",    "line",    "period",      "observed-benefit",
        "by",      "recipient",    "score",   "cutoff",  "quota",       "families",
        "budget",  "akses",        "strata",  "psu",     "fpc",         "indicators",
        "out",     "format",       "output",  "cap",     "compare-cap", "lonely-psu",
        "level",   "id",           "scale",   NULL};
    const char **slots[] = {&a->program, &a->show,     &a->compare,  &a->members,     &a->key,
                            &a->hkey,    &a->income,   &a->weight,   &a->size,        &a->line,
                            &a->period,  &a->observed, &a->by,       &a->recipient,   &a->score,
                            &a->cutoff,  &a->quota,    &a->families, &a->budget,      &a->akses,
                            &a->strata,  &a->psu,      &a->fpc,      &a->indicators,  &a->out,
                            &a->format,  &a->output,   &a->cap,      &a->compare_cap, &a->lonely,
                            &a->level,   &a->id,       &a->scale};
    for (size_t i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], n) == 0) {
            return slots[i];
        }
    }
    return NULL;
}

static int repeat(const char **list, int *n, const char *v, const char *flag)
{
    if (*n == MAX_REPEAT) {
        return cli_usage("simulate", "at most %d %s", MAX_REPEAT, flag);
    }
    list[(*n)++] = v;
    return 0;
}

static int check_args(int argc, sim_args *a)
{
    if (a->show != NULL) {
        return 0;
    }
    if (optind >= argc) {
        return cli_usage("simulate", "which file? (pkh simulate HOUSEHOLDS --program NAME ...)");
    }
    if (a->program == NULL) {
        return cli_usage("simulate",
                         "--program NAME|FILE is required: a preset (pkh-2019, "
                         "pkh-2020, pkh-2021, snt-tr) or a rules file");
    }
    if ((a->members == NULL) != (a->key == NULL)) {
        return cli_usage("simulate", "--members FILE and --key COL go together");
    }
    const int nsel =
        (a->cutoff != NULL) + (a->quota != NULL) + (a->families != NULL) + (a->budget != NULL);
    if (nsel > 1) {
        return cli_usage("simulate", "give one of --cutoff, --quota, --families, --budget");
    }
    if (nsel == 1 && a->score == NULL) {
        return cli_usage("simulate",
                         "--cutoff, --quota, --families and --budget rank the "
                         "families by a score: give it with --score COL");
    }
    if (a->score != NULL && nsel == 0) {
        return cli_usage("simulate",
                         "--score COL needs --cutoff X, --quota SHARE, --families N "
                         "or --budget AMOUNT");
    }
    if ((a->score != NULL) + (a->recipient != NULL) + a->all > 1) {
        return cli_usage("simulate",
                         "choose the families one way: --recipient, --score or "
                         "--all");
    }
    if (a->line != NULL && a->income == NULL) {
        return cli_usage("simulate", "--line needs --income COL, the welfare column");
    }
    if ((a->fpc != NULL || a->lonely != NULL || a->level != NULL) && a->psu == NULL &&
        a->strata == NULL) {
        return cli_usage("simulate",
                         "--fpc, --lonely-psu and --level go with the design: give "
                         "--strata COL and/or --psu COL");
    }
    return 0;
}

static int parse_args(int argc, char **argv, sim_args *a)
{
    int idx = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        if (c == 'h') {
            fputs(help1, stdout);
            fputs(help2, stdout);
            return -1;
        }
        if (c == '?') {
            return cli_usage("simulate", "unknown option or missing value: %s", argv[optind - 1]);
        }
        const char *n = opts[idx].name;
        const char **slot = slot_of(a, n);
        int rc = 0;
        if (cli_read_option(&a->rd, n, optarg)) {
            continue;
        } else if (slot != NULL) {
            *slot = optarg;
        } else if (strcmp(n, "flag") == 0) {
            rc = repeat(a->flags, &a->n_flags, optarg, "--flag");
        } else if (strcmp(n, "amount") == 0) {
            rc = repeat(a->amounts, &a->n_amounts, optarg, "--amount");
        } else if (strcmp(n, "compare-amount") == 0) {
            rc = repeat(a->camounts, &a->n_camounts, optarg, "--compare-amount");
        } else if (strcmp(n, "define") == 0) {
            rc = repeat(a->defines, &a->n_defines, optarg, "--define");
        } else if (strcmp(n, "strict") == 0) {
            a->strict = 1;
        } else if (strcmp(n, "all") == 0) {
            a->all = 1;
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (optind + 1 < argc && a->show == NULL) {
        return cli_usage("simulate", "one households file at a time (extra argument \"%s\")",
                         argv[optind + 1]);
    }
    return check_args(argc, a);
}

/* ---- numbers and programmes ---- */

static int parse_number(const char *flag, const char *s, double *out)
{
    char *end = NULL;
    const double x = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(x)) {
        return cli_failf("%s takes a number (got \"%s\")", flag, s);
    }
    *out = x;
    return 0;
}

static int apply_changes(pkh_program *p, const char *const *amounts, int n, const char *cap,
                         const char *flag)
{
    pkh_error err;
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(amounts[i], '=');
        double x = 0;
        if (eq == NULL || eq == amounts[i]) {
            return cli_failf("%s takes NAME=AMOUNT, e.g. smp=2000000 (got \"%s\")", flag,
                             amounts[i]);
        }
        char *name = strndup(amounts[i], (size_t)(eq - amounts[i]));
        int rc = parse_number(flag, eq + 1, &x);
        if (rc == 0 && pkh_program_set_amount(p, name, x, &err) != PKH_OK) {
            rc = cli_fail(&err);
        }
        free(name);
        if (rc != 0) {
            return rc;
        }
    }
    if (cap != NULL) {
        double x = 0;
        if (parse_number("--cap", cap, &x) != 0) {
            return EXIT_DATA;
        }
        if (x != floor(x) || pkh_program_set_cap(p, (int64_t)x, &err) != PKH_OK) {
            return cli_failf("--cap takes a whole number of members, 0 for no cap (got \"%s\")",
                             cap);
        }
    }
    return 0;
}

static int load_programmes(const sim_args *a, pkh_program **p, pkh_program **q)
{
    pkh_error err;
    if (pkh_program_load(a->program, NULL, p, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    int rc = apply_changes(*p, a->amounts, a->n_amounts, a->cap, "--amount");
    if (rc == 0 && a->compare != NULL && pkh_program_load(a->compare, NULL, q, &err) != PKH_OK) {
        rc = cli_fail(&err);
    }
    if (rc == 0 && *q != NULL) {
        rc = apply_changes(*q, a->camounts, a->n_camounts, a->compare_cap, "--compare-amount");
    } else if (rc == 0 && (a->n_camounts > 0 || a->compare_cap != NULL)) {
        rc = cli_usage("simulate",
                       "--compare-amount and --compare-cap change the --compare "
                       "programme: give it");
    }
    return rc;
}

static int show_program(const char *name)
{
    pkh_program *p = NULL;
    pkh_error err;
    if (pkh_program_load(name, NULL, &p, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    fputs(pkh_program_text(p), stdout);
    pkh_program_free(p);
    return 0;
}

/* ---- which columns to read ---- */

typedef struct names {
    const char *v[512];
    int n;
    char **owned[16];
    int nowned;
} names;

static void add(names *s, const char *name)
{
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], name) == 0) {
            return;
        }
    }
    if (s->n < 511) {
        s->v[s->n++] = name;
    }
}

static void add_list(names *s, const char *list)
{
    if (list != NULL && s->nowned < 16) {
        char **l = cli_split(list, ',', NULL);
        s->owned[s->nowned++] = l;
        for (char **x = l; x != NULL && *x != NULL; x++) {
            add(s, *x);
        }
    }
}

static void add_programme(names *s, const pkh_program *p, int roster)
{
    const char *cols[256];
    const int64_t n = pkh_program_household_columns(p, roster, cols, 256);
    for (int64_t i = 0; i < n && i < 256; i++) {
        add(s, cols[i]);
    }
}

/* Names an expression uses that `t` does not have (to read them from the households). */
static void add_missing(names *s, const char *text, const pkh_table *t)
{
    pkh_expr *e = NULL;
    if (text == NULL || pkh_expr_parse(text, NULL, &e, NULL) != PKH_OK) {
        return;
    }
    for (int64_t j = 0; j < pkh_expr_num_columns(e); j++) {
        const char *c = pkh_expr_column(e, j);
        if (t != NULL && pkh_table_column(t, c, &(const pkh_column *){NULL}, NULL) == PKH_OK) {
            continue;
        }
        char *copy = strdup(c);
        if (s->nowned < 16 && copy != NULL) {
            char **one = calloc(2, sizeof *one);
            one[0] = copy;
            s->owned[s->nowned++] = one;
            add(s, copy);
        } else {
            free(copy);
        }
    }
    pkh_expr_free(e);
}

/* 1 if a member condition names a column the roster lacks (it may be a household one). */
static bool members_lack(const pkh_program *p, const pkh_table *members)
{
    for (int64_t j = 0; p != NULL && members != NULL && j < pkh_program_num_components(p); j++) {
        pkh_program_component comp;
        pkh_expr *e = NULL;
        pkh_program_component_at(p, j, &comp);
        if (comp.member_condition == NULL ||
            pkh_expr_parse(comp.member_condition, NULL, &e, NULL) != PKH_OK) {
            continue;
        }
        bool lack = false;
        for (int64_t k = 0; k < pkh_expr_num_columns(e) && !lack; k++) {
            lack = pkh_table_column(members, pkh_expr_column(e, k), &(const pkh_column *){NULL},
                                    NULL) != PKH_OK;
        }
        pkh_expr_free(e);
        if (lack) {
            return true;
        }
    }
    return false;
}

static void needed_columns(const sim_args *a, const pkh_program *p, const pkh_program *q,
                           const pkh_table *members, names *s)
{
    const char *single[] = {a->income,
                            a->weight,
                            a->size,
                            a->observed,
                            a->recipient,
                            a->score,
                            a->akses,
                            a->strata,
                            a->psu,
                            a->fpc,
                            a->id,
                            a->scale,
                            a->hkey != NULL ? a->hkey : a->key};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        if (single[i] != NULL) {
            add(s, single[i]);
        }
    }
    add_list(s, a->by);
    pkh_line line;
    if (a->line != NULL && pkh_line_parse(a->line, &line, NULL) == PKH_OK &&
        line.kind == PKH_LINE_COLUMN) {
        add(s, a->line);
    }
    for (int i = 0; i < a->n_flags; i++) {
        const char *eq = strchr(a->flags[i], '=');
        if (eq != NULL) {
            add(s, eq + 1);
        }
    }
    const pkh_program *ps[] = {p, q};
    for (int k = 0; k < 2 && ps[k] != NULL; k++) {
        add_programme(s, ps[k], members != NULL);
        const pkh_program_eligibility r = pkh_program_selection(ps[k]);
        if (r.column != NULL && a->recipient == NULL && a->score == NULL && !a->all) {
            add(s, r.column);
        }
    }
}

/* Columns of --define expressions, minus the names they define. */
static void define_columns(const sim_args *a, names *s)
{
    for (int i = 0; i < a->n_defines; i++) {
        char name[128];
        const char *text;
        if (pkh_define_split(a->defines[i], name, sizeof name, &text, NULL) == PKH_OK) {
            add_missing(s, text, NULL);
        }
    }
    for (int i = 0; i < a->n_defines; i++) {
        char name[128];
        const char *text;
        if (pkh_define_split(a->defines[i], name, sizeof name, &text, NULL) != PKH_OK) {
            continue;
        }
        for (int j = 0; j < s->n; j++) {
            if (strcmp(s->v[j], name) == 0) {
                s->v[j] = s->v[--s->n];
                j--;
            }
        }
    }
}

static void names_free(names *s)
{
    for (int i = 0; i < s->nowned; i++) {
        cli_free_list(s->owned[i]);
    }
}

static int apply_defines(const sim_args *a, pkh_table **t)
{
    for (int i = 0; i < a->n_defines; i++) {
        char name[128];
        const char *text;
        pkh_error err;
        pkh_expr *e = NULL;
        pkh_table *col = NULL, *joined = NULL;
        pkh_status st = pkh_define_split(a->defines[i], name, sizeof name, &text, &err);
        st = st == PKH_OK ? pkh_expr_parse(text, NULL, &e, &err) : st;
        st = st == PKH_OK ? pkh_expr_eval(e, *t, name, a->rd.threads, &col, &err) : st;
        st = st == PKH_OK ? pkh_table_concat_columns(*t, col, &joined, &err) : st;
        pkh_expr_free(e);
        pkh_table_free(col);
        if (st != PKH_OK) {
            fprintf(stderr, "pkh: --define %s: %s\n", a->defines[i], err.message);
            return EXIT_DATA;
        }
        pkh_table_free(*t);
        *t = joined;
    }
    return 0;
}

/* ---- options for the library ---- */

typedef struct sim_setup {
    pkh_simulate_options o;
    pkh_flag_binding flags[MAX_REPEAT + 1];
    char *flag_names[MAX_REPEAT + 1];
    char **by;
    size_t nby;
} sim_setup;

static int selection(const sim_args *a, pkh_program_eligibility *e)
{
    const char *v = a->cutoff != NULL     ? a->cutoff
                    : a->quota != NULL    ? a->quota
                    : a->families != NULL ? a->families
                                          : a->budget;
    e->kind = a->all                 ? PKH_SELECT_ALL
              : a->recipient != NULL ? PKH_SELECT_RECIPIENT
              : a->cutoff != NULL    ? PKH_SELECT_CUTOFF
              : a->quota != NULL     ? PKH_SELECT_QUOTA
              : a->families != NULL  ? PKH_SELECT_FAMILIES
              : a->budget != NULL    ? PKH_SELECT_BUDGET
                                     : PKH_SELECT_PROGRAM;
    e->column = a->recipient != NULL ? a->recipient : a->score;
    const char *flag = a->cutoff != NULL     ? "--cutoff"
                       : a->quota != NULL    ? "--quota"
                       : a->families != NULL ? "--families"
                                             : "--budget";
    if (v != NULL && parse_number(flag, v, &e->value) != 0) {
        return EXIT_DATA;
    }
    if (a->quota != NULL && !(e->value > 0 && e->value <= 1)) {
        return cli_failf(
            "--quota is a share of all families, above 0 and at most 1, e.g. 0.12 "
            "for 12%% (got %s)",
            a->quota);
    }
    return 0;
}

static int setup(const sim_args *a, sim_setup *s)
{
    pkh_simulate_options init = PKH_SIMULATE_OPTIONS_INIT;
    pkh_simulate_options *o = &s->o;
    *o = init;
    pkh_error err;
    o->income = a->income;
    o->weight = a->weight;
    o->size = a->size;
    o->scale = a->scale;
    o->observed_benefit = a->observed;
    o->member_key = a->key;
    o->id = a->id;
    o->household_key = a->hkey;
    o->strict = a->strict;
    o->threads = a->rd.threads;
    if (a->line != NULL && pkh_line_parse(a->line, &o->line, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    if (a->period != NULL && strcmp(a->period, "month") != 0 && strcmp(a->period, "year") != 0) {
        return cli_usage("simulate", "--period takes month or year (got \"%s\")", a->period);
    }
    if (a->level != NULL &&
        (parse_number("--level", a->level, &o->level) != 0 || !(o->level > 0 && o->level < 1))) {
        return cli_failf("--level is a confidence level between 0 and 1, e.g. 0.95 (got %s)",
                         a->level);
    }
    o->period =
        a->period != NULL && strcmp(a->period, "year") == 0 ? PKH_PERIOD_YEAR : PKH_PERIOD_MONTH;
    if (a->by != NULL) {
        s->by = cli_split(a->by, ',', &s->nby);
        o->by = (const char *const *)s->by;
        o->n_by = (int64_t)s->nby;
    }
    int n = 0;
    for (int i = 0; i < a->n_flags; i++) {
        const char *eq = strchr(a->flags[i], '=');
        if (eq == NULL || eq == a->flags[i] || eq[1] == '\0') {
            return cli_usage("simulate",
                             "--flag takes NAME=COLUMN, e.g. akses=remote (got "
                             "\"%s\")",
                             a->flags[i]);
        }
        s->flag_names[n] = strndup(a->flags[i], (size_t)(eq - a->flags[i]));
        s->flags[n].flag = s->flag_names[n];
        s->flags[n++].column = eq + 1;
    }
    if (a->akses != NULL) {
        s->flags[n].flag = "akses";
        s->flags[n++].column = a->akses;
    }
    o->flags = s->flags;
    o->n_flags = n;
    return selection(a, &o->eligibility);
}

static void setup_free(sim_setup *s)
{
    for (int i = 0; i < MAX_REPEAT + 1; i++) {
        free(s->flag_names[i]);
    }
    cli_free_list(s->by);
}

/* ---- metadata ---- */

static json_t *programme_json(const pkh_program *p)
{
    json_t *comps = json_array(), *flats = json_array(), *stages = json_array();
    json_t *notes = json_array();
    for (int64_t i = 0; i < pkh_program_num_components(p); i++) {
        pkh_program_component c;
        pkh_program_component_at(p, i, &c);
        json_array_append_new(comps, json_pack("{s:s, s:s, s:f, s:s?, s:s?}", "name", c.name,
                                               "label", c.label, "annual", c.annual, "count",
                                               c.count_column, "member", c.member_condition));
    }
    for (int64_t i = 0; i < pkh_program_num_flats(p); i++) {
        pkh_program_flat f;
        pkh_program_flat_at(p, i, &f);
        json_array_append_new(flats, json_pack("{s:s, s:f, s:s?}", "name", f.name, "annual",
                                               f.annual, "condition", f.condition));
    }
    for (int64_t i = 0; i < pkh_program_num_stages(p); i++) {
        pkh_program_stage s;
        pkh_program_stage_at(p, i, &s);
        json_array_append_new(stages, json_pack("{s:I, s:s, s:f}", "stage", (json_int_t)i + 1,
                                                "name", s.name, "share", s.share));
    }
    for (int64_t i = 0; i < pkh_program_num_notes(p); i++) {
        json_array_append_new(notes, json_string(pkh_program_note(p, i)));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:b, s:o, s:o}", "name", pkh_program_name(p),
                     "title", pkh_program_title(p), "currency", pkh_program_currency(p),
                     "components", comps, "flat", flats, "cap", (json_int_t)pkh_program_cap(p),
                     "require_component", pkh_program_requires_component(p), "stages", stages,
                     "notes", notes);
}

static const char *rule_name(pkh_selection k)
{
    static const char *const n[] = {"programme", "all",      "recipient", "cutoff",
                                    "quota",     "families", "budget"};
    return (int)k >= 0 && (int)k <= 6 ? n[k] : "?";
}

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *make_meta(const char *path, const sim_args *a, const sim_setup *s,
                         const pkh_program *p, const pkh_program *q, const pkh_simulate_info *info)
{
    json_t *sel = json_array();
    for (int i = 0; i < (q != NULL ? 2 : 1); i++) {
        const pkh_program_eligibility e = s->o.eligibility.kind != PKH_SELECT_PROGRAM
                                              ? s->o.eligibility
                                              : pkh_program_selection(i ? q : p);
        json_array_append_new(
            sel, json_pack("{s:s, s:s, s:s?, s:o, s:o, s:f, s:f, s:I}", "program",
                           pkh_program_name(i ? q : p), "rule", rule_name(e.kind), "column",
                           e.column, "value",
                           e.kind >= PKH_SELECT_CUTOFF ? json_real(e.value) : json_null(), "cutoff",
                           num_or_null(info->cutoff[i]), "families", info->families[i], "budget",
                           info->budget[i], "missing_score", (json_int_t)info->missing_score[i]));
    }
    json_t *excl = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "missing_income",
                             (json_int_t)info->missing_income, "missing_key",
                             (json_int_t)info->missing_key, "missing_counts",
                             (json_int_t)info->missing_counts, "members", (json_int_t)info->members,
                             "members_unmatched", (json_int_t)info->members_unmatched,
                             "members_missing_key", (json_int_t)info->members_missing_key);
    char unit[200];
    snprintf(unit, sizeof unit,
             "money per year in %s; welfare and line per person per %s; "
             "persons = weight x size",
             pkh_program_currency(p), s->o.period == PKH_PERIOD_YEAR ? "year" : "month");
    json_t *m =
        json_pack("{s:s, s:s, s:s?, s:o, s:o?, s:I, s:I, s:o, s:o, s:o, s:s, s:s, s:s}", "command",
                  "simulate", "file", path, "members", a->members, "program", programme_json(p),
                  "compare", q != NULL ? programme_json(q) : NULL, "rows", (json_int_t)info->rows,
                  "rows_used", (json_int_t)info->used, "excluded", excl, "selection", sel, "line",
                  num_or_null(info->line), "unit", unit, "standard_errors",
                  info->se ? "linearised over the full design (influence values); the "
                             "selection cut-off and relative lines taken as fixed"
                           : "not computed (point estimates; give --strata/--psu)",
                  "version", pkh_version_string());
    return m;
}

/* ---- output ---- */

static bool wanted(const char *name, char **list)
{
    for (char **x = list; x != NULL && *x != NULL; x++) {
        const size_t n = strlen(*x);
        if (strcmp(*x, "all") == 0 || strcmp(*x, name) == 0 ||
            (n > 0 && (*x)[n - 1] == '*' && strncmp(*x, name, n - 1) == 0)) {
            return true;
        }
    }
    return false;
}

/* The rows whose indicator is wanted (all when `list` is NULL). */
static int pick_rows(const pkh_table *res, const char *list, pkh_table **out)
{
    static const char *const table_default =
        "families,persons,budget,average_benefit,fgt0_before,fgt0_after,fgt0_change,lifted,"
        "gini_change";
    char **l = cli_split(list != NULL ? list : table_default, ',', NULL);
    const pkh_column *ind = NULL;
    pkh_table_column(res, "indicator", &ind, NULL);
    const int64_t n = pkh_table_num_rows(res);
    int64_t *keep = calloc((size_t)n + 1, sizeof *keep), m = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        pkh_column_dict_value(ind, pkh_column_codes(ind)[i], &s, &len);
        char name[160];
        snprintf(name, sizeof name, "%.*s", (int)len, s);
        if (wanted(name, l)) {
            keep[m++] = i;
        }
    }
    int rc = 0;
    if (m == 0) {
        rc = cli_failf("--indicators %s matches no indicator (see pkh simulate --help)", list);
    }
    pkh_table_builder *b = NULL;
    pkh_table_builder_new(NULL, &b, NULL);
    for (int64_t j = 0; rc == 0 && j < pkh_table_num_columns(res); j++) {
        const pkh_column *c = pkh_table_column_at(res, j);
        const char *cname = pkh_column_name(c);
        pkh_status st = PKH_OK;
        if (pkh_column_type(c) == PKH_TYPE_DICT) {
            const char **v = calloc((size_t)m + 1, sizeof *v);
            char **own = calloc((size_t)m + 1, sizeof *own);
            for (int64_t i = 0; i < m; i++) {
                const char *s;
                size_t len;
                if (pkh_column_is_valid(c, keep[i])) {
                    pkh_column_dict_value(c, pkh_column_codes(c)[keep[i]], &s, &len);
                    own[i] = strndup(s, len);
                    v[i] = own[i];
                }
            }
            st = pkh_table_builder_add_strings(b, cname, v, m, NULL);
            for (int64_t i = 0; i < m; i++) {
                free(own[i]);
            }
            free(own);
            free(v);
        } else {
            double *d = calloc((size_t)m + 1, 8);
            int64_t *iv = calloc((size_t)m + 1, 8);
            uint8_t *valid = calloc((size_t)m / 8 + 8, 1);
            for (int64_t i = 0; i < m; i++) {
                if (pkh_column_is_valid(c, keep[i])) {
                    valid[i / 8] |= (uint8_t)(1u << (i % 8));
                    if (pkh_column_type(c) == PKH_TYPE_INT64) {
                        iv[i] = pkh_column_int64(c)[keep[i]];
                    } else {
                        pkh_column_get_double(c, keep[i], &d[i]);
                    }
                }
            }
            st = pkh_column_type(c) == PKH_TYPE_INT64
                     ? pkh_table_builder_add_int64(b, cname, iv, valid, m, NULL)
                     : pkh_table_builder_add_float64(b, cname, d, valid, m, NULL);
            free(d);
            free(iv);
            free(valid);
        }
        rc = st == PKH_OK ? 0 : cli_failf("out of memory");
    }
    if (rc == 0 && pkh_table_builder_finish(b, out, NULL) != PKH_OK) {
        rc = cli_failf("out of memory");
    }
    pkh_table_builder_free(b);
    free(keep);
    cli_free_list(l);
    return rc;
}

static int emit(const char *path, const sim_args *a, const sim_setup *s, const pkh_program *p,
                const pkh_program *q, const pkh_table *res, const pkh_simulate_info *info)
{
    cli_format fmt = cli_default_format(a->output);
    if (a->format != NULL && cli_parse_format(a->format, &fmt) != 0) {
        return cli_usage("simulate", "--format takes table, csv or json (got \"%s\")", a->format);
    }
    pkh_table *shown = NULL;
    const char *list = a->indicators != NULL ? a->indicators : fmt == FMT_TABLE ? NULL : "all";
    int rc = pick_rows(res, list, &shown);
    if (rc != 0) {
        return rc;
    }
    json_t *meta = make_meta(path, a, s, p, q, info);
    char title[600];
    snprintf(title, sizeof title,
             "%s%s%s on %s: %lld households (%lld with welfare); money "
             "per year in %s; persons weighted by weight x size",
             pkh_program_name(p), q != NULL ? " vs " : "", q != NULL ? pkh_program_name(q) : "",
             path, (long long)info->rows, (long long)info->used, pkh_program_currency(p));
    rc = cli_emit_results(shown, meta, fmt, a->output, title, s->nby + (q != NULL));
    json_decref(meta);
    pkh_table_free(shown);
    return rc;
}

/* ---- run ---- */

static int read_inputs(const char *path, const sim_args *a, const pkh_program *p,
                       const pkh_program *q, pkh_table **t, pkh_table **m)
{
    pkh_csv_info info;
    int rc = 0;
    if (a->members != NULL) {
        rc = cli_read_table("simulate", a->members, &a->rd, NULL, m, &info);
    }
    names cols;
    memset(&cols, 0, sizeof cols);
    if (rc == 0) {
        needed_columns(a, p, q, *m, &cols);
        define_columns(a, &cols);
        cols.v[cols.n] = NULL;
        /* a member condition may name a household column: then read them all, and let the
         * simulation say which condition names a column nobody has */
        const bool all = members_lack(p, *m) || members_lack(q, *m);
        rc = cli_read_table("simulate", path, &a->rd, all ? NULL : cols.v, t, &info);
    }
    names_free(&cols);
    return rc == 0 ? apply_defines(a, t) : rc;
}

static int make_design(const sim_args *a, const pkh_table *t, pkh_design **d)
{
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    pkh_error err;
    spec.strata = a->strata;
    spec.psu = a->psu;
    spec.fpc = a->fpc;
    spec.threads = a->rd.threads;
    if (a->lonely != NULL && pkh_lonely_psu_parse(a->lonely, &spec.lonely) != PKH_OK) {
        return cli_usage("simulate",
                         "--lonely-psu takes fail, certainty, adjust, average or "
                         "remove (got \"%s\")",
                         a->lonely);
    }
    if (pkh_design_new(t, &spec, d, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    return 0;
}

static int write_out(const char *path, const pkh_table *ph)
{
    pkh_error err;
    if (pkh_csv_write_path(ph, path, NULL, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    return 0;
}

static int run(const char *path, const sim_args *a)
{
    pkh_program *p = NULL, *q = NULL;
    pkh_table *t = NULL, *m = NULL, *res = NULL, *ph = NULL;
    sim_setup s;
    memset(&s, 0, sizeof s);
    int rc = load_programmes(a, &p, &q);
    rc = rc == 0 ? setup(a, &s) : rc;
    rc = rc == 0 ? read_inputs(path, a, p, q, &t, &m) : rc;
    pkh_simulate_info info;
    pkh_design *d = NULL;
    rc = rc == 0 && (a->strata != NULL || a->psu != NULL) ? make_design(a, t, &d) : rc;
    if (rc == 0) {
        pkh_error err;
        s.o.members = m;
        s.o.design = d;
        if (pkh_program_simulate(p, q, t, &s.o, &res, a->out != NULL ? &ph : NULL, &info, &err) !=
            PKH_OK) {
            rc = cli_fail(&err);
        }
    }
    if (rc == 0 && info.members_unmatched > 0) {
        fprintf(stderr,
                "pkh: warning: %lld member rows (%lld without a key) match no household "
                "and were left out (--strict makes this an error)\n",
                (long long)info.members_unmatched, (long long)info.members_missing_key);
    }
    rc = rc == 0 && a->out != NULL ? write_out(a->out, ph) : rc;
    if (rc == 0) {
        rc = emit(path, a, &s, p, q, res, &info);
        if (rc != 0 && a->out != NULL && strcmp(a->out, "-") != 0) {
            remove(a->out); /* no half-finished set of outputs */
        }
    }
    pkh_design_free(d);
    pkh_table_free(res);
    pkh_table_free(ph);
    pkh_table_free(t);
    pkh_table_free(m);
    pkh_program_free(p);
    pkh_program_free(q);
    setup_free(&s);
    return rc;
}

int cmd_simulate(int argc, char **argv)
{
    sim_args a;
    memset(&a, 0, sizeof a);
    const int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    if (a.show != NULL) {
        return show_program(a.show);
    }
    return run(argv[optind], &a);
}
