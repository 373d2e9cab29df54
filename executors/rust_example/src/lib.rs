//! The original FlexiLib's example handler in Rust, answering as executors/example.c
//! does: a space and the number of request headers (" 1" for one header) and the
//! header "X-custom-foo: bar", reacting to request headers:
//!   Host: iam...       body "iam response"
//!   x-status: N        status N
//!   x-log-this: TEXT   TEXT before the body
//!   x-slow: MS         sleep MS milliseconds first
//!   x-throw            fail (NULL: 500; with x-status, that status and an error body)
//! The C structs of executors/flexilib.h are declared #[repr(C)] here. What a response
//! points to is owned by the library, per serving thread, and dropped by
//! request_deinit, which the server calls after the response has been written.
use std::cell::RefCell;
use std::os::raw::c_char;
use std::ptr;
use std::slice;
use std::time::Duration;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Header {
    name_ptr: *const u8,
    name_len: usize,
    value_ptr: *const u8,
    value_len: usize,
}

#[repr(C)]
pub struct Request {
    target: *const c_char,
    target_len: usize,
    method: *const c_char,
    method_len: usize,
    content: *const u8,
    content_len: usize,
    headers: *const Header,
    headers_len: usize,
}

#[repr(C)]
pub struct Response {
    ptr: *const u8,
    len: usize,
    headers: *const Header,
    headers_len: usize,
    status: usize,
    reason_ptr: *const u8,
    reason_len: usize,
}

/// A pointer and a length from the server as a slice (empty when the pointer is NULL).
unsafe fn bytes<'a>(data: *const u8, len: usize) -> &'a [u8] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        slice::from_raw_parts(data, len)
    }
}

struct RequestView<'a> {
    headers: &'a [Header],
}

impl<'a> RequestView<'a> {
    fn header(&self, wanted: &str) -> Option<&'a [u8]> {
        self.headers.iter().find_map(|header| {
            let name = unsafe { bytes(header.name_ptr, header.name_len) };
            if name.eq_ignore_ascii_case(wanted.as_bytes()) {
                Some(unsafe { bytes(header.value_ptr, header.value_len) })
            } else {
                None
            }
        })
    }

    fn number(&self, wanted: &str) -> Option<usize> {
        std::str::from_utf8(self.header(wanted)?).ok()?.parse().ok()
    }
}

/// What the response points to, kept until request_deinit.
struct Owned {
    body: Vec<u8>,
    headers: [Header; 1],
    response: Response,
}

thread_local! {
    static CURRENT: RefCell<Option<Box<Owned>>> = RefCell::new(None);
}

static CUSTOM_NAME: &[u8] = b"X-custom-foo";
static CUSTOM_VALUE: &[u8] = b"bar";

fn body_for(request: &RequestView) -> Vec<u8> {
    let mut body = request.header("x-log-this").map(<[u8]>::to_vec).unwrap_or_default();
    if request.header("host").map_or(false, |host| host.starts_with(b"iam")) {
        body.extend_from_slice(b"iam response");
    } else {
        body.extend_from_slice(format!(" {}", request.headers.len()).as_bytes());
    }
    body
}

#[no_mangle]
pub extern "C" fn handle_request(request: *const Request) -> *const Response {
    let request = unsafe { &*request };
    let headers = if request.headers.is_null() {
        &[][..]
    } else {
        unsafe { slice::from_raw_parts(request.headers, request.headers_len) }
    };
    let view = RequestView { headers };
    if let Some(ms) = view.number("x-slow") {
        std::thread::sleep(Duration::from_millis(ms as u64));
    }
    let status = view.number("x-status");
    let failed = view.header("x-throw").is_some();
    if failed && status.is_none() {
        return ptr::null(); // FlexiLib's 500
    }
    let body = if failed { b"handler failed".to_vec() } else { body_for(&view) };
    let custom = Header {
        name_ptr: CUSTOM_NAME.as_ptr(),
        name_len: CUSTOM_NAME.len(),
        value_ptr: CUSTOM_VALUE.as_ptr(),
        value_len: CUSTOM_VALUE.len(),
    };
    let mut owned = Box::new(Owned {
        body,
        headers: [custom],
        response: Response {
            ptr: ptr::null(),
            len: 0,
            headers: ptr::null(),
            headers_len: 1,
            status: status.unwrap_or(0),
            reason_ptr: ptr::null(),
            reason_len: 0,
        },
    });
    // The box does not move when stored, so these pointers stay valid until then.
    owned.response.ptr = owned.body.as_ptr();
    owned.response.len = owned.body.len();
    owned.response.headers = owned.headers.as_ptr();
    let response: *const Response = &owned.response;
    CURRENT.with(|current| *current.borrow_mut() = Some(owned));
    response
}

#[no_mangle]
pub extern "C" fn request_deinit() {
    CURRENT.with(|current| current.borrow_mut().take());
}
