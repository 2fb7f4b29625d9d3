/* Self-modifying code, done as the architecture asks (store, DC CVAU, DSB, IC IVAU, DSB, ISB):
   a generated function rewritten and called again many times, a patch to an instruction of
   the very block that runs it, and code copied to another page and run there. */
#include "guest.h"

static uint32_t code[64] __attribute__((aligned(4096)));

static void sync_code(void *start, size_t bytes)
{
    for (uintptr_t p = (uintptr_t)start & ~63UL; p < (uintptr_t)start + bytes; p += 64)
        __asm__ volatile("dc cvau, %0" :: "r"(p) : "memory");
    __asm__ volatile("dsb ish" ::: "memory");
    for (uintptr_t p = (uintptr_t)start & ~63UL; p < (uintptr_t)start + bytes; p += 64)
        __asm__ volatile("ic ivau, %0" :: "r"(p) : "memory");
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

static uint32_t movz_w0(uint32_t imm16) { return 0x52800000u | (imm16 << 5); }
static uint32_t add_w0_imm(uint32_t imm12) { return 0x11000000u | (imm12 << 10); }
#define RET 0xd65f03c0u

typedef uint64_t (*fn0)(void);

static void rewritten_function(void)
{
    uint64_t h = 0;
    for (uint32_t k = 0; k < 200; k++) {
        code[0] = movz_w0(k * 37 & 0xffff);
        code[1] = add_w0_imm(k & 0xfff);
        code[2] = (k & 1) ? add_w0_imm(1) : RET;
        code[3] = RET;
        sync_code(code, 16);
        h = mix(h, ((fn0)(uintptr_t)code)());
    }
    put_kv("rewritten function", h);
}

static void patch_same_block(void)
{
    /* The store rewrites the MOVZ two instructions on, inside the block being executed. */
    uint64_t h = 0;
    for (uint32_t k = 0; k < 50; k++) {
        uint64_t out;
        uint32_t insn = 0xd2800000u | ((k * 1111 & 0xffff) << 5) | 1;     /* movz x1, #imm */
        __asm__ volatile("adr x2, 1f\n\tstr %w[insn], [x2]\n\tdc cvau, x2\n\tdsb ish\n\t"
                         "ic ivau, x2\n\tdsb ish\n\tisb\n"
                         "1:\tmovz x1, #0xdead\n\tmov %[out], x1"
                         : [out] "=r"(out) : [insn] "r"(insn) : "x1", "x2", "memory");
        h = mix(h, out);
    }
    put_kv("patched in the running block", h);
}

static uint32_t other_page[64] __attribute__((aligned(4096)));

static uint64_t sum_to(uint64_t n)
{
    uint64_t s = 0;
    for (uint64_t k = 1; k <= n; k++)
        s += k * k;
    return s;
}

static void copied_code(void)
{
    /* Copy a tiny leaf function (computes x0 * 3 + 7) to another page and run it there, then
       overwrite that page with a different function and run that. */
    static const uint32_t triple_plus_7[] = { 0x8b000400u /* add x0, x0, x0, lsl #1 */,
                                              0x91001c00u /* add x0, x0, #7 */, RET };
    static const uint32_t negate[] = { 0xcb0003e0u /* neg x0, x0 */, RET };
    typedef uint64_t (*fn1)(uint64_t);
    uint64_t h = 0;
    for (int k = 0; k < 3; k++)
        other_page[k] = triple_plus_7[k];
    sync_code(other_page, 12);
    for (uint64_t v = 0; v < 20; v++)
        h = mix(h, ((fn1)(uintptr_t)other_page)(v));
    for (int k = 0; k < 2; k++)
        other_page[k] = negate[k];
    sync_code(other_page, 8);
    for (uint64_t v = 0; v < 20; v++)
        h = mix(h, ((fn1)(uintptr_t)other_page)(v));
    put_kv("copied code", h);
    put_kv("sum of squares", sum_to(1000));
}

int main(void)
{
    puts("selfmod: start\n");
    rewritten_function();
    patch_same_block();
    copied_code();
    puts("selfmod: done\n");
    return 0;
}
