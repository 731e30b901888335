/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal representation of programme rules (lib/program). The key-matching helpers the
 * simulation uses live in the table layer (internal/table.h). Never installed.
 */
#ifndef PKH_INTERNAL_PROGRAM_H
#define PKH_INTERNAL_PROGRAM_H

#include <pkh/expr.h>
#include <pkh/program.h>

#include "internal/table.h"

/* ---- programme rules (lib/program/rules.c) ---- */

/** Most components a programme may have. */
#define PKH__MAX_COMPONENTS 64
/** Longest name of a component, flat benefit or flag (bytes). */
#define PKH__MAX_NAME 64

/** Where something was written in the rules text, for messages. */
typedef struct pkh__pos {
    int64_t line, column; /* 1-based; 0 when unknown */
} pkh__pos;

typedef struct pkh__comp {
    char *name;
    char *label;
    char *count;      /* household column of counts, or NULL */
    pkh_expr *member; /* member condition, or NULL */
    pkh__pos count_pos, member_pos;
    double annual; /* per counted member per year: sum over stages of share x rate */
    int64_t rank;  /* position in the keep order (0: kept first) */
} pkh__comp;

typedef struct pkh__flat {
    char *name;
    char *label;
    double amount;     /* per family per year */
    uint8_t *in_stage; /* per stage: 1 if paid in it */
    int64_t n_in;      /* stages it is paid in (its amount is split equally) */
    pkh_expr *cond;    /* household condition, or NULL */
    pkh__pos cond_pos;
} pkh__flat;

typedef struct pkh__stage {
    char *name;
    double share; /* of the year: months / 12 */
    double *rate; /* per component: annual rate in force during the stage */
} pkh__stage;

typedef struct pkh__flag {
    char *name;
    char *description;
    int dflt;
} pkh__flag;

struct pkh_program {
    const pkh_allocator *alloc;
    char *text; /* the JSON it was read from */
    size_t text_len;
    char *source; /* file name or "NAME (preset)" */
    char *name, *title, *country, *currency;
    int64_t year; /* 0 when not given */
    int monthly;  /* amounts were written per month */
    char **notes;
    int64_t n_notes;
    pkh__comp *comp;
    int64_t n_comp;
    pkh__flat *flat;
    int64_t n_flat;
    pkh__stage *stage;
    int64_t n_stage;
    pkh__flag *flag;
    int64_t n_flag;
    size_t notes_cap, comp_cap, flat_cap, stage_cap, flag_cap; /* allocated entries */
    int64_t cap;                  /* members counted per family; 0: no cap */
    int keep_listed;              /* keep members in listed order (else highest-paid first) */
    int64_t *order;               /* components in keep order */
    pkh_program_eligibility elig; /* column owned (elig_column) */
    char *elig_column;
    pkh__pos elig_pos;
    pkh_expr *condition; /* eligibility condition on households, or NULL */
    pkh__pos condition_pos;
    int require_component;
};

/** Recompute every component's annual amount and the keep order. */
void pkh__program_refresh(pkh_program *p);

/** Text of preset `name` (lines joined), or NULL; owned by the caller (pkh__free_str). */
char *pkh__preset_text(const char *name, const pkh_allocator *a, size_t *len);

/* ---- simulation (lib/program/simulate.c, components.c, impact.c) ---- */

/** One programme's per-household state. Arrays have one entry per household (n). */
typedef struct pkh__sim {
    const pkh_program *p;
    int32_t *counts;  /* n_comp x n, component-major: members counted (before the cap) */
    uint8_t *cond;    /* eligibility condition met (NULL: no condition) */
    uint8_t *flat_ok; /* n_flat x n: the flat benefit's condition met */
    uint8_t *elig;    /* eligible (paid) */
    double *benefit;  /* annual benefit: first what the family would get, then what it gets */
    pkh_program_eligibility rule; /* the selection used */
    double cutoff;
    int64_t missing_score;
    double families, budget;
} pkh__sim;

typedef struct pkh__simctx {
    const pkh_table *t;
    pkh_table *view;  /* the households with the flag columns */
    pkh_table *mview; /* the members with household columns their conditions name */
    const pkh_simulate_options *o;
    const pkh_allocator *a;  /* working memory */
    const pkh_allocator *ra; /* result tables */
    pkh_error *err;
    int threads;
    int64_t n;
    double *w, *s; /* weight, size */
    double *e;     /* money per unit of welfare: the scale column, or `s` (per person) */
    double *y;     /* welfare before the transfer, in its unit; NaN when missing */
    double *z;     /* per-row lines, or NULL for `line` */
    double line;
    double periods; /* periods of the welfare unit in a year: 12 or 1 */
    pkh_groups *groups;
    const int32_t *gid;
    int64_t k;     /* groups */
    int64_t nm;    /* member rows */
    int64_t *mrow; /* per member row: its household row, or PKH__NO_MATCH */
    pkh_simulate_info info;
    pkh__sim sim[2];
    int nsim;
} pkh__simctx;

/** Number of paid members per component after the cap, into paid[n_comp]; returns the
 *  annual component money. */
static inline double pkh__paid(const pkh_program *p, const int32_t *counts, int64_t n, int64_t i,
                               int64_t *paid)
{
    int64_t left = p->cap > 0 ? p->cap : INT64_MAX;
    double total = 0;
    for (int64_t r = 0; r < p->n_comp; r++) {
        const int64_t k = p->order[r];
        const int64_t have = counts[k * n + i];
        const int64_t take = have < left ? have : left;
        left -= take;
        paid[k] = take;
        total += (double)take * p->comp[k].annual;
    }
    return total;
}

/* ---- results and their standard errors (impact.c, se.c) ---- */

/** How an indicator is made of per-household variables (pkh__var_*), for its influence
 *  values. */
enum {
    PKH__I_TOTAL = 1,      /* sum of num, x scale */
    PKH__I_RATIO = 2,      /* sum num / sum den */
    PKH__I_RATIO_DIFF = 3, /* (sum num - sum num2) / sum den */
    PKH__I_GINI = 4,       /* Gini of the welfare before (num 0) or after (num 1) */
    PKH__I_GINI_DIFF = 5   /* after - before */
};

/* Per-household variables (weighted contributions); components, flats and stages add their
 * index to a base. */
enum {
    PKH__V_FAM = 1,
    PKH__V_PERS,
    PKH__V_BUD,
    PKH__V_POPY,
    PKH__V_FB0,
    PKH__V_FB1,
    PKH__V_FB2,
    PKH__V_FA0,
    PKH__V_FA1,
    PKH__V_FA2,
    PKH__V_POORB,
    PKH__V_POORA,
    PKH__V_LIFT,
    PKH__V_GAPB,
    PKH__V_GAPA,
    PKH__V_GAPRED,
    PKH__V_BUDY,
    PKH__V_BUDPOOR,
    PKH__V_CONS,
    PKH__V_MEM = 100,  /* + component */
    PKH__V_FLAT = 200, /* + flat benefit: families paid it */
    PKH__V_STAGE = 300 /* + stage: money paid in it */
};

typedef struct pkh__ispec {
    int kind;
    int num, den, num2;
    double scale;
} pkh__ispec;

typedef struct pkh__row {
    int64_t seg; /* 0: everyone, 1 + g */
    int prog;    /* 0, 1, or 2 for the difference */
    char name[PKH__MAX_NAME + 32];
    double est, se;
    int64_t n;
    double pop;
    pkh__ispec spec;
} pkh__row;

typedef struct pkh__rows {
    pkh__row *v;
    int64_t n, cap;
    const pkh_allocator *a;
} pkh__rows;

/** Standard errors of every row (sorted by segment, then programme), from the design. */
pkh_status pkh__sim_se(pkh__simctx *c, pkh__rows *r);

/** Build c->view (households + flags) for the programmes of c. */
pkh_status pkh__sim_view(pkh__simctx *c);
/** Counts per component (from columns or the roster), conditions and flat conditions. */
pkh_status pkh__sim_components(pkh__simctx *c, pkh__sim *s);
/** The results table. */
pkh_status pkh__sim_results(pkh__simctx *c, pkh_table **out);

#endif /* PKH_INTERNAL_PROGRAM_H */
