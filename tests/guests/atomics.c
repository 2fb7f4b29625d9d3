/* Armv8.1 LSE atomics (-cpu max): CAS, CASP, LD<op> for the eight operations, ST<op>, SWP,
   in every size and ordering variant. Each line folds the four orderings of one operation and
   size over pairs of memory and operand values: the value returned and the memory after. */
#include "guest.h"

static const uint64_t VA[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x123456789abcdef0,
    0xfedcba9876543210,
};
#define NA ((int)(sizeof(VA) / sizeof(VA[0])))

static volatile uint64_t cell[4] __attribute__((aligned(16)));

/* One LD<op>/SWP instruction: %[s] the operand, %[d] receives the old value. */
#define RUN_LD(mn, R) do {                                                         \
        uint64_t old_ = 0xdeadbeefdeadbeef;                                         \
        cell[0] = VA[a_];                                                           \
        __asm__ volatile(mn " %" R "[s], %" R "[d], [%[n]]"                        \
                         : [d] "=&r"(old_) : [s] "r"(VA[b_]), [n] "r"(cell) : "memory"); \
        h_ = mix(mix(h_, old_), cell[0]);                                           \
    } while (0)

#define LDOP(op, sz, R) do {                                                       \
    uint64_t h_ = 0;                                                                \
    for (int a_ = 0; a_ < NA; a_++)                                                 \
        for (int b_ = 0; b_ < NA; b_++) {                                           \
            RUN_LD(op sz, R);                                                       \
            RUN_LD(op "a" sz, R);                                                   \
            RUN_LD(op "l" sz, R);                                                   \
            RUN_LD(op "al" sz, R);                                                  \
        }                                                                           \
    put_kv(op sz, h_);                                                              \
} while (0)

#define LDOP_ALL_SIZES(op) LDOP(op, "b", "w"); LDOP(op, "h", "w"); LDOP(op, "", "w"); \
    do { uint64_t h_ = 0;                                                           \
         for (int a_ = 0; a_ < NA; a_++)                                            \
             for (int b_ = 0; b_ < NA; b_++) {                                      \
                 RUN_LD(op, ""); RUN_LD(op "a", ""); RUN_LD(op "l", ""); RUN_LD(op "al", ""); \
             }                                                                      \
         put_kv(op " x", h_); } while (0)

/* CAS: %[s] holds the compare value VA[c_] and receives the old value; %[t] the new value. */
#define RUN_CAS(mn, R) do {                                                        \
        uint64_t s_ = VA[c_];                                                       \
        cell[0] = VA[a_];                                                           \
        __asm__ volatile(mn " %" R "[s], %" R "[t], [%[n]]"                        \
                         : [s] "+&r"(s_) : [t] "r"(VA[(a_ + b_ + 1) % NA]), [n] "r"(cell) \
                         : "memory");                                               \
        h_ = mix(mix(h_, s_), cell[0]);                                             \
    } while (0)

#define CAS(sz, R) do {                                                            \
    uint64_t h_ = 0;                                                                \
    for (int a_ = 0; a_ < NA; a_++)                                                 \
        for (int b_ = 0; b_ < NA; b_++) {                                           \
            /* compare with the memory value itself as well: the store happens */     \
            for (int eq_ = 0; eq_ < 2; eq_++) {                                     \
                int c_ = eq_ ? a_ : b_;                                             \
                RUN_CAS("cas" sz, R); RUN_CAS("casa" sz, R);                        \
                RUN_CAS("casl" sz, R); RUN_CAS("casal" sz, R);                      \
            }                                                                       \
        }                                                                           \
    put_kv("cas" sz " " R, h_);                                                     \
} while (0)

static void casp(void)
{
    uint64_t h = 0;
    for (int a = 0; a < NA; a++)
        for (int b = 0; b < NA; b++)
            for (int eq = 0; eq < 2; eq++) {
                cell[0] = VA[a];
                cell[1] = VA[(a + 3) % NA];
                register uint64_t s0 __asm__("x4") = eq ? VA[a] : VA[b];
                register uint64_t s1 __asm__("x5") = eq ? VA[(a + 3) % NA] : VA[(b + 3) % NA];
                register uint64_t t0 __asm__("x6") = VA[(a + b) % NA];
                register uint64_t t1 __asm__("x7") = VA[(a + 2 * b) % NA];
                switch ((a + b) & 3) {
                case 0:
                    __asm__ volatile("casp x4, x5, x6, x7, [%[n]]"
                                     : "+r"(s0), "+r"(s1) : "r"(t0), "r"(t1), [n] "r"(cell) : "memory");
                    break;
                case 1:
                    __asm__ volatile("caspa x4, x5, x6, x7, [%[n]]"
                                     : "+r"(s0), "+r"(s1) : "r"(t0), "r"(t1), [n] "r"(cell) : "memory");
                    break;
                case 2:
                    __asm__ volatile("caspl w4, w5, w6, w7, [%[n]]"
                                     : "+r"(s0), "+r"(s1) : "r"(t0), "r"(t1), [n] "r"(cell) : "memory");
                    break;
                default:
                    __asm__ volatile("caspal w4, w5, w6, w7, [%[n]]"
                                     : "+r"(s0), "+r"(s1) : "r"(t0), "r"(t1), [n] "r"(cell) : "memory");
                    break;
                }
                h = mix(mix(mix(mix(h, s0), s1), cell[0]), cell[1]);
            }
    put_kv("casp", h);
}

static void store_aliases(void)
{
    uint64_t h = 0;
    for (int a = 0; a < NA; a++)
        for (int b = 0; b < NA; b++) {
            cell[0] = VA[a];
            __asm__ volatile("stadd %[s], [%[n]]\n\tsteorl %w[s], [%[n]]\n\tstsmaxh %w[s], [%[n]]\n\t"
                             "stuminb %w[s], [%[n]]\n\tstclrl %[s], [%[n]]\n\tstset %w[s], [%[n]]"
                             :: [s] "r"(VA[b]), [n] "r"(cell) : "memory");
            h = mix(h, cell[0]);
        }
    put_kv("st<op> aliases", h);
}

int main(void)
{
    puts("atomics: start\n");
    LDOP_ALL_SIZES("ldadd");
    LDOP_ALL_SIZES("ldclr");
    LDOP_ALL_SIZES("ldeor");
    LDOP_ALL_SIZES("ldset");
    LDOP_ALL_SIZES("ldsmax");
    LDOP_ALL_SIZES("ldsmin");
    LDOP_ALL_SIZES("ldumax");
    LDOP_ALL_SIZES("ldumin");
    LDOP_ALL_SIZES("swp");
    CAS("b", "w");
    CAS("h", "w");
    CAS("", "w");
    CAS("", "x");
    casp();
    store_aliases();
    puts("atomics: done\n");
    return 0;
}
