/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * From data to components: flags bound to household columns, member rows counted per
 * household through the component conditions (each member once, for the highest-paid
 * component they qualify for), counts read from household columns, and the household
 * conditions of eligibility and of flat benefits.
 */
#include <math.h>
#include <stdio.h>

#include "internal/program.h"

/* ---- flags ---- */

static bool declares(const pkh_program *p, const char *flag)
{
    for (int64_t f = 0; p != NULL && f < p->n_flag; f++) {
        if (strcmp(p->flag[f].name, flag) == 0) {
            return true;
        }
    }
    return false;
}

static const char *binding(const pkh__simctx *c, const char *flag)
{
    for (int64_t i = 0; i < c->o->n_flags; i++) {
        if (strcmp(c->o->flags[i].flag, flag) == 0) {
            return c->o->flags[i].column;
        }
    }
    return NULL;
}

/* A flag's bool values: the bound (or same-named) column != 0, missing -> the default. */
static pkh_status flag_values(pkh__simctx *c, const pkh__flag *f, uint8_t *v)
{
    const char *name = binding(c, f->name);
    const pkh_column *col = NULL;
    if (name != NULL) {
        pkh_status st = pkh_table_column(c->t, name, &col, c->err);
        if (st != PKH_OK) {
            return st;
        }
    } else if (pkh_table_column(c->t, f->name, &col, NULL) != PKH_OK) {
        col = NULL;
    }
    if (col != NULL && col->type == PKH_TYPE_DICT) {
        return pkh__errorf(c->err, PKH_ETYPE,
                           "the flag %s reads column \"%s\", which holds "
                           "text: use 1 (or true) for yes and 0 for no",
                           f->name, col->name);
    }
    for (int64_t i = 0; i < c->n; i++) {
        if (col == NULL || !(col->validity == NULL || pkh__bit_get(col->validity, i))) {
            v[i] = (uint8_t)f->dflt;
        } else if (col->type == PKH_TYPE_INT64) {
            v[i] = ((const int64_t *)col->values)[i] != 0;
        } else if (col->type == PKH_TYPE_FLOAT64) {
            const double x = ((const double *)col->values)[i];
            v[i] = x != x ? (uint8_t)f->dflt : x != 0;
        } else {
            v[i] = pkh__bit_get(col->values, i);
        }
    }
    return PKH_OK;
}

static pkh_status add_flags(pkh__simctx *c, pkh_table_builder *b, const pkh_program *p,
                            const pkh_program *other, uint8_t *v)
{
    pkh_status st = PKH_OK;
    for (int64_t f = 0; p != NULL && f < p->n_flag && st == PKH_OK; f++) {
        if (other != NULL && declares(other, p->flag[f].name)) {
            continue; /* added with the other programme */
        }
        st = flag_values(c, &p->flag[f], v);
        if (st == PKH_OK) {
            st = pkh_table_builder_add_bool(b, p->flag[f].name, v, NULL, c->n, c->err);
        }
    }
    return st;
}

pkh_status pkh__sim_view(pkh__simctx *c)
{
    const pkh_program *p = c->sim[0].p, *q = c->nsim > 1 ? c->sim[1].p : NULL;
    for (int64_t i = 0; i < c->o->n_flags; i++) {
        const char *f = c->o->flags[i].flag;
        if (!declares(p, f) && !declares(q, f)) {
            return pkh__errorf(c->err, PKH_EINVAL, "programme %s has no flag \"%s\"%s",
                               p->name[0] ? p->name : p->source, f,
                               p->n_flag == 0 ? " (it has no flags)" : "");
        }
    }
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(c->a, &b, c->err);
    for (int64_t j = 0; j < c->t->num_columns && st == PKH_OK; j++) {
        const char *name = c->t->columns[j].name;
        if (!declares(p, name) && !declares(q, name)) {
            st = pkh_table_builder_add_column(b, NULL, &c->t->columns[j], c->err);
        }
    }
    uint8_t *v = pkh__alloc(c->a, (size_t)(c->n > 0 ? c->n : 1));
    st = st == PKH_OK && v == NULL ? pkh__enomem(c->err) : st;
    st = st == PKH_OK ? add_flags(c, b, p, NULL, v) : st;
    st = st == PKH_OK ? add_flags(c, b, q, p, v) : st;
    pkh__free(c->a, v, (size_t)(c->n > 0 ? c->n : 1));
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, &c->view, c->err);
    }
    pkh_table_builder_free(b);
    return st;
}

/* ---- conditions ---- */

/* Evaluate a condition; `what` names it in messages ("component \"sd\": member condition"). */
static pkh_status eval_condition(pkh__simctx *c, const pkh_program *p, const pkh_expr *e,
                                 pkh__pos pos, const pkh_table *t, const char *what,
                                 const char *rows, pkh_table **out)
{
    pkh_error e2;
    pkh_status st = pkh_expr_eval(e, t, "condition", c->threads, out, &e2);
    if (st == PKH_ENOMEM) {
        return pkh__enomem(c->err);
    }
    if (st != PKH_OK) {
        const int64_t col = pos.column > 0 && e2.column > 0 ? pos.column + e2.column : pos.column;
        return pkh__error(c->err, st, p->source, pos.line, col, "%s, on the %s: %s", what, rows,
                          e2.message);
    }
    const pkh_type type = (*out)->columns[0].type;
    if (type != PKH_TYPE_BOOL) {
        pkh_table_free(*out);
        *out = NULL;
        return pkh__error(c->err, PKH_ETYPE, p->source, pos.line, pos.column,
                          "%s: \"%s\" gives "
                          "%s values, not true or false (write a comparison, e.g. \"x == 1\")",
                          what, pkh_expr_text(e), pkh_type_name(type));
    }
    return PKH_OK;
}

static bool cond_true(const pkh_column *col, int64_t i)
{
    return (col->validity == NULL || pkh__bit_get(col->validity, i)) &&
           pkh__bit_get(col->values, i);
}

static pkh_status household_condition(pkh__simctx *c, const pkh_program *p, const pkh_expr *e,
                                      pkh__pos pos, const char *what, uint8_t **mask)
{
    pkh_table *r = NULL;
    pkh_status st = eval_condition(c, p, e, pos, c->view, what, "households", &r);
    if (st != PKH_OK) {
        return st;
    }
    *mask = pkh__alloc(c->a, (size_t)(c->n > 0 ? c->n : 1));
    if (*mask == NULL) {
        pkh_table_free(r);
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < c->n; i++) {
        (*mask)[i] = cond_true(&r->columns[0], i);
    }
    pkh_table_free(r);
    return PKH_OK;
}

static pkh_status conditions(pkh__simctx *c, pkh__sim *s)
{
    const pkh_program *p = s->p;
    pkh_status st = PKH_OK;
    if (p->condition != NULL) {
        st = household_condition(c, p, p->condition, p->condition_pos, "eligibility condition",
                                 &s->cond);
    }
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    s->flat_ok = pkh__alloc(c->a, (size_t)(p->n_flat > 0 ? p->n_flat : 1) * nn);
    st = st == PKH_OK && s->flat_ok == NULL ? pkh__enomem(c->err) : st;
    for (int64_t f = 0; f < p->n_flat && st == PKH_OK; f++) {
        uint8_t *dst = s->flat_ok + (size_t)f * nn;
        if (p->flat[f].cond == NULL) {
            memset(dst, 1, nn);
            continue;
        }
        char what[160];
        uint8_t *m = NULL;
        snprintf(what, sizeof what, "flat benefit \"%s\": condition", p->flat[f].name);
        st = household_condition(c, p, p->flat[f].cond, p->flat[f].cond_pos, what, &m);
        if (st == PKH_OK) {
            memcpy(dst, m, (size_t)c->n);
            pkh__free(c->a, m, nn);
        }
    }
    return st;
}

/* ---- counts from household columns ---- */

static pkh_status count_error(pkh__simctx *c, const pkh_program *p, const pkh__comp *k,
                              const char *what, int64_t row)
{
    return pkh__errorf(c->err, PKH_EINVAL,
                       "component \"%s\" of %s: %s in column \"%s\" at data "
                       "row %lld: a count is a whole number of members, 0 or more",
                       k->name, p->name[0] ? p->name : p->source, what, k->count,
                       (long long)row + 1);
}

static pkh_status column_counts(pkh__simctx *c, const pkh_program *p, const pkh__comp *k,
                                int32_t *dst)
{
    if (k->count == NULL) {
        return pkh__error(c->err, PKH_EINVAL, p->source, k->member_pos.line, k->member_pos.column,
                          "component \"%s\" is defined by a member "
                          "condition only: give the member roster (--members FILE --key COL)",
                          k->name);
    }
    const pkh_column *col = NULL;
    pkh_error e2;
    pkh_status st = pkh_table_column(c->t, k->count, &col, &e2);
    if (st != PKH_OK) {
        return pkh__error(c->err, st, p->source, k->count_pos.line, k->count_pos.column,
                          "component \"%s\" counts the household column \"%s\", which the "
                          "households do not have; give a member roster (--members FILE --key "
                          "COL) or a column of that name (%s)",
                          k->name, k->count, e2.message);
    }
    if (col->type == PKH_TYPE_DICT) {
        return pkh__errorf(c->err, PKH_ETYPE,
                           "component \"%s\": the count column \"%s\" holds "
                           "text, not numbers",
                           k->name, k->count);
    }
    for (int64_t i = 0; i < c->n; i++) {
        if (!(col->validity == NULL || pkh__bit_get(col->validity, i))) {
            dst[i] = 0;
            c->info.missing_counts++;
            continue;
        }
        double x;
        if (col->type == PKH_TYPE_INT64) {
            x = (double)((const int64_t *)col->values)[i];
        } else if (col->type == PKH_TYPE_BOOL) {
            x = pkh__bit_get(col->values, i);
        } else {
            x = ((const double *)col->values)[i];
            if (x != x) {
                dst[i] = 0;
                c->info.missing_counts++;
                continue;
            }
        }
        if (x < 0) {
            return count_error(c, p, k, "a negative count", i);
        }
        if (x != floor(x) || x > 1e6) {
            return count_error(c, p, k, "not a whole number of members", i);
        }
        dst[i] = (int32_t)x;
    }
    return PKH_OK;
}

/* ---- counts from the member roster ---- */

static bool in_members(const pkh__simctx *c, const char *name)
{
    return pkh_table_column(c->o->members, name, &(const pkh_column *){NULL}, NULL) == PKH_OK;
}

/* Columns named by a member condition that only the households have, once each. */
static pkh_status gather_names(pkh__simctx *c, const pkh_program *p, const char **names, int64_t *n,
                               int64_t cap)
{
    for (int64_t k = 0; p != NULL && k < p->n_comp; k++) {
        const pkh_expr *e = p->comp[k].member;
        for (int64_t j = 0; e != NULL && j < pkh_expr_num_columns(e); j++) {
            const char *name = pkh_expr_column(e, j);
            bool seen =
                in_members(c, name) ||
                pkh_table_column(c->view, name, &(const pkh_column *){NULL}, NULL) != PKH_OK;
            for (int64_t i = 0; i < *n && !seen; i++) {
                seen = strcmp(names[i], name) == 0;
            }
            if (!seen && *n < cap) {
                names[(*n)++] = name;
            }
        }
    }
    return PKH_OK;
}

static pkh_status member_view(pkh__simctx *c)
{
    const char *names[256];
    int64_t n = 0;
    gather_names(c, c->sim[0].p, names, &n, 256);
    gather_names(c, c->nsim > 1 ? c->sim[1].p : NULL, names, &n, 256);
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(c->a, &b, c->err);
    const pkh_table *m = c->o->members;
    for (int64_t j = 0; j < m->num_columns && st == PKH_OK; j++) {
        st = pkh_table_builder_add_column(b, NULL, &m->columns[j], c->err);
    }
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        const pkh_column *col = NULL;
        pkh_table_column(c->view, names[i], &col, NULL);
        st = pkh__builder_add_gathered(b, names[i], col, c->mrow, c->nm, c->a, c->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, &c->mview, c->err);
    }
    pkh_table_builder_free(b);
    return st;
}

static pkh_status member_counts(pkh__simctx *c, pkh__sim *s)
{
    const pkh_program *p = s->p;
    if (c->mview == NULL) {
        pkh_status st = member_view(c);
        if (st != PKH_OK) {
            return st;
        }
    }
    const size_t nk = (size_t)(p->n_comp > 0 ? p->n_comp : 1);
    pkh_table **res = pkh__calloc(c->a, nk, sizeof *res);
    if (res == NULL) {
        return pkh__enomem(c->err);
    }
    pkh_status st = PKH_OK;
    for (int64_t k = 0; k < p->n_comp && st == PKH_OK; k++) {
        const pkh__comp *comp = &p->comp[k];
        char what[160];
        snprintf(what, sizeof what, "component \"%s\": member condition", comp->name);
        if (comp->member != NULL) {
            st = eval_condition(c, p, comp->member, comp->member_pos, c->mview, what, "members",
                                &res[k]);
        } else {
            st = column_counts(c, p, comp, s->counts + (size_t)k * (size_t)c->n);
        }
    }
    /* each member once, for the first component in keep order (highest-paid) */
    for (int64_t j = 0; j < c->nm && st == PKH_OK; j++) {
        const int64_t h = c->mrow[j];
        if (h < 0) {
            continue;
        }
        for (int64_t r = 0; r < p->n_comp; r++) {
            const int64_t k = p->order[r];
            if (res[k] != NULL && cond_true(&res[k]->columns[0], j)) {
                s->counts[k * c->n + h]++;
                break;
            }
        }
    }
    for (int64_t k = 0; k < p->n_comp; k++) {
        pkh_table_free(res[k]);
    }
    pkh__free(c->a, res, nk * sizeof *res);
    return st;
}

pkh_status pkh__sim_components(pkh__simctx *c, pkh__sim *s)
{
    const pkh_program *p = s->p;
    const size_t cells = (size_t)(p->n_comp > 0 ? p->n_comp : 1) * (size_t)(c->n > 0 ? c->n : 1);
    s->counts = pkh__calloc(c->a, cells, sizeof *s->counts);
    if (s->counts == NULL) {
        return pkh__enomem(c->err);
    }
    pkh_status st = PKH_OK;
    if (c->o->members != NULL) {
        st = member_counts(c, s);
    } else {
        for (int64_t k = 0; k < p->n_comp && st == PKH_OK; k++) {
            st = column_counts(c, p, &p->comp[k], s->counts + (size_t)k * (size_t)c->n);
        }
    }
    return st == PKH_OK ? conditions(c, s) : st;
}
