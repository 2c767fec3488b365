/*
 * json.h - a validating JSON parser for the tests (status --json).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_JSON_H
#define TAP_JSON_H

int	pf_json_valid(const char *text, const char **where);

#endif /* TAP_JSON_H */
