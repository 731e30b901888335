/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh — the umbrella header: include this one.
 */
#ifndef PKH_PKH_H
#define PKH_PKH_H

#include <pkh/core.h>
#include <pkh/expr.h>
#include <pkh/io.h>
#include <pkh/program.h>
#include <pkh/pmt.h>
#include <pkh/stats.h>
#include <pkh/synth.h>
#include <pkh/table.h>
#include <pkh/targeting.h>

#endif /* PKH_PKH_H */
