// loop: 1000 iterations of straight register arithmetic, then PSCI SYSTEM_OFF. No memory
// access, no exception: instruction and block counts are the same under any emulator.
    .global _start
_start:
    mov     x0, #0
    mov     x1, #1000
1:  add     x0, x0, x1
    eor     x2, x0, x1, lsl #3
    subs    x1, x1, #1
    b.ne    1b
    mov     x0, #0x0008
    movk    x0, #0x8400, lsl #16        // PSCI SYSTEM_OFF
    hvc     #0
    b       .
