# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS in packaging/cpack.cmake): strips the staged
# files the way Debian's dh_strip does. CPACK_STRIP_FILES has already removed the symbols of
# the executable and the shared library; this removes the .comment and .note sections the
# compiler and the C runtime leave in them, and the debug information in the static library.
file(GLOB_RECURSE staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_DIRECTORY}/*")
set(n 0)
foreach(f ${staged})
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  if(f MATCHES "/bin/[^/]+$" OR f MATCHES "\\.so\\.[0-9.]+$")
    set(args --remove-section=.comment --remove-section=.note)
  elseif(f MATCHES "\\.a$")
    set(args --strip-debug --remove-section=.comment --remove-section=.note
      --enable-deterministic-archives)
  else()
    continue()
  endif()
  execute_process(COMMAND ${CPACK_DTT_STRIP} ${args} "${f}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "strip ${args} ${f} failed")
  endif()
  math(EXPR n "${n} + 1")
endforeach()
message(STATUS "packaging/deb/strip.cmake: stripped ${n} files under ${CPACK_TEMPORARY_DIRECTORY}")
