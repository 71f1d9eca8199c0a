# embed_text.cmake -- write a C file that holds a text file as a NUL-terminated array:
#   cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed_text.cmake
# (the sandbox compiles gpu/input_gen.h with NVRTC as well as with the host compiler).
file(READ "${IN}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "/* generated from ${IN} */\nconst char ${NAME}[] = {${bytes} 0x00};\n")
