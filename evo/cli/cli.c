/* cli.c -- main() of the `evo` program: dispatches to one function per subcommand. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"

static void usage(FILE *out)
{
    fprintf(out,
            "evo %s -- evolutionary search for fast GPU kernels\n"
            "\n"
            "usage:\n"
            "  evo run CONFIG [--run-dir DIR]     start a search (the main job)\n"
            "  evo resume DIR                     continue a run after a stop or a crash\n"
            "  evo status DIR [--json]            counters, best candidate, islands, operators\n"
            "  evo best DIR [--out FILE]          best candidate's source with parameters applied\n"
            "  evo log DIR [--csv]                the fitness log (JSON lines, or CSV)\n"
            "  evo plot DIR [-o FILE.svg]         fitness against evaluations and time, as SVG\n"
            "  evo trace DIR [CANDIDATE]          a candidate's lineage with plans and lessons\n"
            "  evo report DIR [-o FILE.html]      the run as one self-contained HTML page\n"
            "  evo check [CONFIG | --kernels DIR] [--arch ARCH]... [--samples N]\n"
            "                                     compile every shipped seed kernel (or those of\n"
            "                                     CONFIG's task) with NVRTC\n"
            "  evo llm-check CONFIG               one short request to each configured model\n"
            "  evo validate DIR [CANDIDATE]       re-evaluate the best (or CANDIDATE) strictly\n"
            "  evo export DIR --flashinfer-bench OUT_DIR [--candidate ID]\n"
            "                                     FlashInfer-Bench Solution and Trace files\n"
            "  evo verify DIR [--json]            read every record; name what is damaged\n"
            "  evo version\n"
            "\n"
            "exit codes: 0 ok, 1 error, 2 usage, 3 no GPU, 4 run directory busy,\n"
            "            5 store corrupt or foreign, 6 configuration invalid, 130 interrupted\n",
            evo_version());
}

/* A program started with stdin, stdout or stderr closed (`evo run CFG >&- 2>&-`, some
 * daemons) would get that number for the next file it opens, and its messages would be
 * written into the store, a log or an exported file: /dev/null takes their places first. */
static void hold_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR); /* the lowest free number: fd */
            if (n >= 0 && n != fd) close(n);
        }
}

int main(int argc, char **argv)
{
    hold_standard_fds();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", cli_run},       {"resume", cli_resume},     {"status", cli_status},
        {"best", cli_best},     {"log", cli_log},           {"plot", cli_plot},
        {"check", cli_check},   {"trace", cli_trace},       {"llm-check", cli_llm_check},
        {"export", cli_export}, {"validate", cli_validate}, {"verify", cli_verify},
        {"report", cli_report},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0) return cmds[i].fn(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        if (cli_wants_help(argc - 1, argv + 1)) return cli_help("usage: evo version\n");
        if (argc > 2) return cli_bad_argument("version", "usage: evo version\n", argv[2]);
        printf("evo %s\n", evo_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "evo: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
