/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh: the command-line tool.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "pkh — poverty, inequality and cash-transfer programme analysis of household microdata\n"
    "\n"
    "Usage: pkh COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  describe FILE     rows, and per column its type, missing values and range\n"
    "  indicators FILE   poverty and inequality indicators, by group\n"
    "  pmt FILE          proxy-means test: weighted regression, scores, cross-validation\n"
    "  simulate FILE     simulate a cash-transfer programme: who is paid, cost, poverty impact\n"
    "  synth             generate a synthetic SUSENAS-like survey (households, members)\n"
    "  targeting FILE    targeting errors: coverage, leakage, incidence, CGH, AUC of a score\n"
    "\n"
    "Run 'pkh COMMAND --help' for a command's options.\n"
    "Input files are CSV, plain or gzip-compressed; '-' reads standard input.\n"
    "Exit status: 0 success, 1 an error about the data or an option's value,\n"
    "2 a malformed command line.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("pkh %s\n", pkh_version_string());
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        /* one line per subcommand; the usage text above lists them */
        {"describe", cmd_describe}, {"indicators", cmd_indicators}, {"pmt", cmd_pmt},
        {"simulate", cmd_simulate}, {"synth", cmd_synth},           {"targeting", cmd_targeting},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "pkh: unknown command \"%s\"\n\n%s", cmd, usage);
    return EXIT_USAGE;
}
