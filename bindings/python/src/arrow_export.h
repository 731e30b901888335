/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Export a pkh table through the Arrow C data interface and C stream interface, without copying
 * column data. Uses only the public API; no Python here, so C programs and tests use it too.
 * Bindings-private: never installed.
 */
#ifndef PKHPY_ARROW_EXPORT_H
#define PKHPY_ARROW_EXPORT_H

#include <pkh/pkh.h>

#include "arrow_abi.h"

/*
 * The Arrow types of the columns:
 *   int64 -> "l", float64 -> "g", bool -> "b" (bit-packed, as stored),
 *   string -> dictionary: int32 indices "i" with a dictionary of large UTF-8 strings "U".
 * Every column field is flagged nullable; validity bitmaps are the table's own. The table is one
 * struct ("+s") whose children are the columns, in order.
 *
 * Ownership: every exported struct owns what it needs. Each column child (and each dictionary)
 * holds its own reference to the column's shared storage, so the table may be freed at once,
 * and a consumer may move a child out and release it after its parent, as the spec allows.
 * Release callbacks free only bindings memory and drop storage references (atomic), so they may
 * be called from any thread and need no Python lock. Each marks its struct released.
 */

/**
 * Export the table's type: a struct schema with one child field per column.
 * \param[out] out  Filled on success (the caller releases it); untouched on failure.
 * \return PKH_OK or PKH_ENOMEM.
 */
pkh_status pkhpy_arrow_export_schema(const pkh_table *table, struct ArrowSchema *out,
                                     pkh_error *err);

/**
 * Export the table's data as one struct array of num_rows rows, sharing the column buffers.
 * \param[out] out  Filled on success (the caller releases it); untouched on failure.
 * \return PKH_OK or PKH_ENOMEM.
 */
pkh_status pkhpy_arrow_export_array(const pkh_table *table, struct ArrowArray *out, pkh_error *err);

/**
 * Export the table as a stream of one batch (the struct array above), then the end.
 * \param[out] out  Filled on success (the caller releases it); untouched on failure.
 * \return PKH_OK or PKH_ENOMEM.
 */
pkh_status pkhpy_arrow_export_stream(const pkh_table *table, struct ArrowArrayStream *out,
                                     pkh_error *err);

#endif /* PKHPY_ARROW_EXPORT_H */
