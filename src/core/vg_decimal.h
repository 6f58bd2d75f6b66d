/*-------------------------------------------------------------------------
 *
 * vg_decimal.h
 *	  Plain decimal numbers to float, correctly rounded, without strtof.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_DECIMAL_H
#define VG_DECIMAL_H

#include <stdbool.h>

/*
 * Parses the number at s when it is a plain decimal ([+-]digits[.digits],
 * at most 15 significant digits, at most 22 after the point) that ends
 * where the text form of a vector lets an element end.  Sets *value to the
 * float strtof would give and *end after the number, and returns true;
 * returns false, setting nothing, for anything else (exponents, inf, nan,
 * hexadecimal, long or odd forms), which the caller leaves to strtof.
 */
extern bool vg_parse_plain_decimal(const char *s, float *value, const char **end);

#endif							/* VG_DECIMAL_H */
