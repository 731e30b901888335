/*
 * gen_households: write a synthetic household survey CSV for pkh's benchmarks.
 *
 * Usage: gen_households ROWS [FILE]       (FILE defaults to standard output)
 *
 * The output is the same bytes on every run and every machine: one fixed seed, a splitmix64
 * generator, and only integer arithmetic and the basic IEEE-754 operations (+ - * /, no libm
 * and no fused multiply-add), so no platform's exp() or log() can change a digit.
 *
 * Columns (15): hhid, province (one of the 34 provinces of 2019), urban (0/1), weight (2
 * decimals), hhsize (1-12), pcexp (per-capita monthly expenditure, Rupiah, 2 decimals,
 * lognormal around the poverty line), povline (Rupiah, by province x urban), and eight small
 * integer columns: n_child06, n_sd, n_smp, n_sma, n_elderly60, n_disabled, roof, floor.
 * About 66 bytes a row: 10 million rows make 655,604,319 bytes. Synthetic, not real data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct province {
    const char *name;
    int32_t line_urban; /* poverty line, Rupiah per capita per month (rough 2019 magnitudes) */
    int32_t line_rural;
} province;

/* The same table as scripts/make-sample.py, so both synthetic files look alike. */
static const province PROVINCES[] = {
    {"Aceh", 520000, 480000},
    {"Sumatera Utara", 490000, 450000},
    {"Sumatera Barat", 530000, 490000},
    {"Riau", 540000, 500000},
    {"Jambi", 500000, 430000},
    {"Sumatera Selatan", 460000, 410000},
    {"Bengkulu", 540000, 490000},
    {"Lampung", 460000, 420000},
    {"Kepulauan Bangka Belitung", 690000, 720000},
    {"Kepulauan Riau", 620000, 560000},
    {"DKI Jakarta", 637260, 637260},
    {"Jawa Barat", 410000, 400000},
    {"Jawa Tengah", 380000, 370000},
    {"DI Yogyakarta", 440000, 400000},
    {"Jawa Timur", 400000, 380000},
    {"Banten", 480000, 430000},
    {"Bali", 410000, 380000},
    {"Nusa Tenggara Barat", 420000, 380000},
    {"Nusa Tenggara Timur", 440000, 360000},
    {"Kalimantan Barat", 470000, 430000},
    {"Kalimantan Tengah", 460000, 450000},
    {"Kalimantan Selatan", 480000, 450000},
    {"Kalimantan Timur", 640000, 610000},
    {"Kalimantan Utara", 680000, 650000},
    {"Sulawesi Utara", 400000, 380000},
    {"Sulawesi Tengah", 480000, 440000},
    {"Sulawesi Selatan", 350000, 330000},
    {"Sulawesi Tenggara", 327402, 320000},
    {"Gorontalo", 380000, 360000},
    {"Sulawesi Barat", 360000, 350000},
    {"Maluku", 530000, 520000},
    {"Maluku Utara", 500000, 470000},
    {"Papua Barat", 610000, 600000},
    {"Papua", 600000, 560000},
};
enum { N_PROVINCES = sizeof PROVINCES / sizeof PROVINCES[0], DKI_JAKARTA = 10 };

static const char HEADER[] =
    "hhid,province,urban,weight,hhsize,pcexp,povline,"
    "n_child06,n_sd,n_smp,n_sma,n_elderly60,n_disabled,roof,floor\n";

static uint64_t rng_state = 20190722u; /* fixed seed: the date of the PKH-Turkey MoU */

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n); the modulo bias (n << 2^64) does not matter here. */
static uint32_t uniform_int(uint32_t n)
{
    return (uint32_t)(next_u64() % n);
}

/* Uniform double in [0, 1) with 53 random bits. */
static double uniform01(void)
{
    return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately standard normal: the sum of 12 uniforms less 6 (Irwin-Hall), no libm. */
static double normal01(void)
{
    double s = 0.0;

    for (int i = 0; i < 12; i++) {
        s += uniform01();
    }
    return s - 6.0;
}

/* exp(x) for |x| < 700 with basic operations only: x = k ln2 + r, |r| <= ln2 / 2. */
static double exp_portable(double x)
{
    static const double LN2_HI = 6.93147180369123816490e-01;
    static const double LN2_LO = 1.90821492927058770002e-10;
    const double kd = x * 1.44269504088896338700 + (x < 0 ? -0.5 : 0.5);
    const int k = (int)kd;
    const double r = (x - k * LN2_HI) - k * LN2_LO;
    double term = 1.0, sum = 1.0;

    for (int i = 1; i <= 16; i++) {
        term = term * r / i;
        sum += term;
    }
    double scale = 1.0;
    for (int i = 0; i < (k < 0 ? -k : k); i++) {
        scale *= 2.0;
    }
    return k < 0 ? sum / scale : sum * scale;
}

/* ln(x) for x > 0, enough for a distribution's location: only the table's lines need it. */
static double log_portable(double x)
{
    int k = 0;

    while (x > 2.0) {
        x /= 2.0;
        k++;
    }
    /* ln(x) = 2 atanh((x-1)/(x+1)); x in (1, 2] so the series converges fast. */
    const double t = (x - 1.0) / (x + 1.0), t2 = t * t;
    double term = t, sum = 0.0;
    for (int i = 1; i < 80; i += 2) {
        sum += term / i;
        term *= t2;
    }
    return 2.0 * sum + k * 0.693147180559945309417;
}

/* Output buffer: fields are formatted by hand, since printf would dominate the run time. */
typedef struct out {
    FILE *f;
    char buf[1 << 20];
    size_t len;
} out;

static void out_flush(out *o)
{
    if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        perror("gen_households: write");
        exit(1);
    }
    o->len = 0;
}

static void put_str(out *o, const char *s)
{
    const size_t n = strlen(s);

    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_char(out *o, char c)
{
    o->buf[o->len++] = c;
}

static void put_uint(out *o, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) {
        o->buf[o->len++] = tmp[--n];
    }
}

/* A non-negative amount in cents as "units.cc". */
static void put_cents(out *o, uint64_t cents)
{
    put_uint(o, cents / 100);
    put_char(o, '.');
    put_char(o, (char)('0' + cents / 10 % 10));
    put_char(o, (char)('0' + cents % 10));
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* A count in [0, cap] that is 0 with probability 1 - p, else 1 + uniform. */
static uint32_t some(double p, uint32_t cap)
{
    if (cap == 0 || uniform01() >= p) {
        return 0;
    }
    return 1 + uniform_int(cap);
}

static void write_row(out *o, uint64_t hhid, const double *log_lines)
{
    const uint32_t p = uniform_int(N_PROVINCES);
    const int urban = p == DKI_JAKARTA || uniform01() < 0.55;
    const int32_t line = urban ? PROVINCES[p].line_urban : PROVINCES[p].line_rural;
    const uint64_t weight = (15000 + uniform_int(25001)) * (urban ? 8 : 12) / 10;

    int size = (int)(3.9 + 1.6 * normal01() + 100.5) - 100; /* round half up */
    size = size < 1 ? 1 : size > 12 ? 12 : size;

    const double mu = log_lines[2 * p + urban] + (urban ? 0.75 : 0.55) - 0.05 * (size - 4);
    const uint64_t pcexp = (uint64_t)(exp_portable(mu + 0.55 * normal01()) * 100.0 + 0.5);

    /* Members by role; the head is an adult, so at most size - 1 others in each role. */
    uint32_t room = (uint32_t)size - 1;
    const uint32_t child06 = some(0.35, min_u32(room, 3));
    room -= child06;
    const uint32_t sd = some(0.40, min_u32(room, 3));
    room -= sd;
    const uint32_t smp = some(0.25, min_u32(room, 2));
    room -= smp;
    const uint32_t sma = some(0.20, min_u32(room, 2));
    const uint32_t elderly = some(0.22, min_u32((uint32_t)size, 2));
    const uint32_t disabled = some(0.03, 1);
    const uint32_t roof = 1 + uniform_int(4);
    const uint32_t floor = 1 + uniform_int(3);

    put_uint(o, hhid);
    put_char(o, ',');
    put_str(o, PROVINCES[p].name);
    put_char(o, ',');
    put_char(o, (char)('0' + urban));
    put_char(o, ',');
    put_cents(o, weight);
    put_char(o, ',');
    put_uint(o, (uint64_t)size);
    put_char(o, ',');
    put_cents(o, pcexp);
    put_char(o, ',');
    put_uint(o, (uint64_t)line);
    const uint32_t small[] = {child06, sd, smp, sma, elderly, disabled, roof, floor};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        put_char(o, ',');
        put_uint(o, small[i]);
    }
    put_char(o, '\n');
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_households ROWS [FILE]\n");
        return 2;
    }
    char *end = NULL;
    const long long rows = strtoll(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || rows < 0) {
        fprintf(stderr, "gen_households: ROWS must be a whole number >= 0, not '%s'\n", argv[1]);
        return 2;
    }

    static out o;
    o.f = argc == 3 ? fopen(argv[2], "wb") : stdout;
    if (o.f == NULL) {
        perror(argv[2]);
        return 1;
    }
    double log_lines[2 * N_PROVINCES];
    for (int p = 0; p < N_PROVINCES; p++) {
        log_lines[2 * p] = log_portable(PROVINCES[p].line_rural);
        log_lines[2 * p + 1] = log_portable(PROVINCES[p].line_urban);
    }

    put_str(&o, HEADER);
    for (long long i = 1; i <= rows; i++) {
        write_row(&o, (uint64_t)i, log_lines);
        if (o.len > sizeof o.buf - 512) {
            out_flush(&o);
        }
    }
    out_flush(&o);
    if (fflush(o.f) != 0 || (o.f != stdout && fclose(o.f) != 0)) {
        perror("gen_households: write");
        return 1;
    }
    return 0;
}
