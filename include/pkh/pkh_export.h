/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Symbol visibility: the library is built with hidden visibility; only PKH_API names export.
 */
#ifndef PKH_EXPORT_H
#define PKH_EXPORT_H

#if defined(_WIN32)
#if defined(PKH_BUILDING_SHARED)
#define PKH_API __declspec(dllexport)
#elif defined(PKH_SHARED)
#define PKH_API __declspec(dllimport)
#else
#define PKH_API
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define PKH_API __attribute__((visibility("default")))
#else
#define PKH_API
#endif

#endif /* PKH_EXPORT_H */
