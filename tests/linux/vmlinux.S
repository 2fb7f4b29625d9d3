// A stand-in for a Linux vmlinux: linked at a kernel virtual address, starting with the arm64
// Image header, then position-independent code that prints through the PL011 (MMU off) and
// powers off. The loader must boot it as the Image it holds.
        .section .text
        .global _text
_text:
        b       start                   // code0
        .long   0                       // code1
        .quad   0                       // text_offset
        .quad   _end - _text            // image_size
        .quad   0xa                     // flags: little-endian, 4K pages
        .quad   0, 0, 0                 // res2-res4
        .ascii  "ARM\x64"               // magic
        .long   0                       // res5
start:
        cmp     x0, #0                  // x0 = the DTB's physical address
        b.eq    power_off
        movz    x1, #0x0900, lsl #16    // PL011
        adr     x2, greeting
1:      ldrb    w3, [x2], #1
        cbz     w3, power_off
        str     w3, [x1]
        b       1b
power_off:
        movz    w0, #0x8400, lsl #16
        movk    w0, #0x0008             // PSCI SYSTEM_OFF
        hvc     #0
        b       .
greeting:
        .asciz  "vmlinux booted as an Image, x0 = DTB\n"
        .balign 8
_end:
