/* A compute workload: table-driven CRC32, a quicksort, a sieve of Eratosthenes and FNV-1a and
   murmur-style hashing, each printing a checksum. SCALE repeats the work (the benchmark builds
   it with a large SCALE; the tests with the default). */
#include "guest.h"

#ifndef SCALE
#define SCALE 1
#endif

#define BUF_BYTES  16384
#define SORT_N     2048
#define SIEVE_N    65536

static uint8_t buf[BUF_BYTES];
static uint32_t crc_table[256];
static uint32_t keys[SORT_N];
static uint8_t composite[SIEVE_N];

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t xorshift64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void crc32_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void quicksort(uint32_t *a, long lo, long hi)
{
    while (lo < hi) {
        uint32_t pivot = a[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* Recurse into the smaller half, loop on the larger: the stack stays shallow. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static uint64_t sieve(uint32_t n, uint32_t *count)
{
    uint64_t sum = 0;
    *count = 0;
    for (uint32_t k = 0; k < n; k++)
        composite[k] = 0;
    for (uint32_t p = 2; p < n; p++) {
        if (composite[p])
            continue;
        (*count)++;
        sum += p;
        for (uint64_t m = (uint64_t)p * p; m < n; m += p)
            composite[m] = 1;
    }
    return sum;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    while (n--) {
        h ^= *p++;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t murmur_mix(const uint64_t *p, size_t n)
{
    uint64_t h = 0x1234567;
    for (size_t k = 0; k < n; k++) {
        uint64_t v = p[k];
        v ^= v >> 33;
        v *= 0xff51afd7ed558ccdULL;
        v ^= v >> 33;
        v *= 0xc4ceb9fe1a85ec53ULL;
        v ^= v >> 33;
        h = (h ^ v) * 5 + 0xe6546b64;
        h = (h << 27) | (h >> 37);
    }
    return h;
}

int main(void)
{
    uint32_t crc = 0, primes = 0;
    uint64_t sort_sum = 0, prime_sum = 0, fnv = 0, murmur = 0;
    int sorted = 1;

    puts("compute: start\n");
    crc32_init();
    for (int round = 0; round < SCALE; round++) {
        for (size_t k = 0; k < BUF_BYTES; k += 8) {
            uint64_t v = xorshift64();
            for (int b = 0; b < 8; b++)
                buf[k + b] = (uint8_t)(v >> (8 * b));
        }
        crc ^= crc32(buf, BUF_BYTES);
        fnv ^= fnv1a(buf, BUF_BYTES);
        murmur ^= murmur_mix((const uint64_t *)buf, BUF_BYTES / 8);

        for (int k = 0; k < SORT_N; k++)
            keys[k] = (uint32_t)xorshift64();
        quicksort(keys, 0, SORT_N - 1);
        for (int k = 1; k < SORT_N; k++)
            if (keys[k - 1] > keys[k])
                sorted = 0;
        for (int k = 0; k < SORT_N; k++)
            sort_sum = sort_sum * 31 + keys[k];

        prime_sum += sieve(SIEVE_N - (round & 63), &primes);
    }
    put_kv("crc32", crc);
    put_kv("fnv1a", fnv);
    put_kv("murmur", murmur);
    put_kv("sort", sort_sum);
    puts(sorted ? "sorted yes\n" : "sorted NO\n");
    puts("primes ");
    put_dec(primes);
    putc('\n');
    put_kv("prime-sum", prime_sum);
    puts("compute: done\n");
    return 0;
}
