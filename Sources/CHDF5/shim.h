// Shim for the parts of libhdf5's C API that Swift cannot import directly.
//
// H5T_NATIVE_*, H5T_C_S1, H5P_* and friends are macros that call H5open() and read mutable
// globals; Swift cannot import function-like macros, and Swift 6 rejects the underlying globals
// as not concurrency-safe. Each is wrapped here in a `static inline` function.
#ifndef SWIFTZOO_CHDF5_SHIM_H
#define SWIFTZOO_CHDF5_SHIM_H

#include <hdf5.h>
#include <stdlib.h>
#include <stdio.h>

static inline hid_t zoo_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t zoo_h5s_all(void) { return H5S_ALL; }
static inline hid_t zoo_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t zoo_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t zoo_h5p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t zoo_h5p_link_create(void) { return H5P_LINK_CREATE; }

static inline unsigned zoo_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned zoo_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned zoo_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned zoo_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned zoo_h5f_obj_all(void) { return H5F_OBJ_ALL; }

static inline hid_t zoo_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t zoo_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t zoo_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t zoo_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t zoo_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t zoo_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t zoo_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t zoo_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t zoo_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t zoo_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t zoo_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t zoo_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t zoo_h5t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t zoo_h5t_c_s1(void) { return H5T_C_S1; }

static inline size_t zoo_h5t_variable(void) { return H5T_VARIABLE; }
static inline hsize_t zoo_h5s_unlimited(void) { return H5S_UNLIMITED; }

/// Turns off libhdf5's automatic printing of the error stack to stderr for the calling thread.
///
/// A thread-safe libhdf5 keeps one error stack per thread, each with printing on, so every
/// thread that calls into the library must do this once; the flag makes repeat calls free.
static inline void zoo_h5_prepare_thread(void) {
    static _Thread_local int silenced = 0;
    if (!silenced) {
        // No libhdf5 exit handler: zoo closes every file itself, and a file whose last flush
        // failed (disk full) cannot be closed any more, so libhdf5's handler would crash on it
        // at exit. Only the first call in the process counts (later ones fail harmlessly).
        H5dont_atexit();
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        silenced = 1;
    }
}

typedef struct {
    char *buffer;
    size_t capacity;
    size_t length;
} zoo_error_text;

static herr_t zoo_h5e_walk_callback(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    zoo_error_text *text = (zoo_error_text *)data;
    if (err == NULL || err->desc == NULL || text->length + 1 >= text->capacity) return 0;
    size_t room = text->capacity - text->length;
    int written = snprintf(text->buffer + text->length, room, "%s%s (%s)",
                           text->length == 0 ? "" : "; ", err->desc,
                           err->func_name ? err->func_name : "?");
    if (written > 0) {
        size_t w = (size_t)written;
        text->length += (w < room) ? w : room - 1;
    }
    return 0;
}

/// Writes the calling thread's libhdf5 error stack (innermost first) into `buffer` as one
/// line, clears the stack, and returns the number of bytes written (NUL not counted).
static inline size_t zoo_h5e_take_message(char *buffer, size_t capacity) {
    if (capacity == 0) return 0;
    buffer[0] = 0;
    zoo_error_text text = { buffer, capacity, 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, zoo_h5e_walk_callback, &text);
    H5Eclear2(H5E_DEFAULT);
    return text.length;
}

/// Frees memory that libhdf5 allocated for variable-length strings.
static inline void zoo_h5_free(void *p) { H5free_memory(p); }

#endif
