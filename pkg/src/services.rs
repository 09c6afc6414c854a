use crate::Error;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where modules leave the services they provide and find the ones they need (the kernel's
/// dependency container implements it; [`LocalServices`] is a stand-alone one for tests).
/// Used through [`ModuleContext::provide`](crate::ModuleContext::provide) and
/// [`ModuleContext::service`](crate::ModuleContext::service).
pub trait ServiceDirectory: Send + Sync {
    /// Stores `value` under its type.
    ///
    /// # Errors
    /// [`Error::DuplicateService`] when a value of that type is there already.
    fn insert(
        &self,
        type_name: &'static str,
        value: Arc<dyn Any + Send + Sync>,
    ) -> Result<(), Error>;

    /// The value of type `id`, if one was provided.
    fn lookup(&self, id: TypeId) -> Option<Arc<dyn Any + Send + Sync>>;
}

/// A [`ServiceDirectory`] in a map: what the kernel's container holds, and what a
/// [`ModuleContext`](crate::ModuleContext) made for a test uses.
#[derive(Default)]
pub struct LocalServices {
    map: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl LocalServices {
    /// The value of type `S`, if one was provided.
    pub fn get<S: Any + Send + Sync>(&self) -> Option<Arc<S>> {
        self.lookup(TypeId::of::<S>())
            .and_then(|v| v.downcast::<S>().ok())
    }
}

impl std::fmt::Debug for LocalServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServices").finish_non_exhaustive()
    }
}

impl ServiceDirectory for LocalServices {
    fn insert(
        &self,
        type_name: &'static str,
        value: Arc<dyn Any + Send + Sync>,
    ) -> Result<(), Error> {
        let id = (*value).type_id();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.contains_key(&id) {
            return Err(Error::DuplicateService { type_name });
        }
        map.insert(id, value);
        Ok(())
    }

    fn lookup(&self, id: TypeId) -> Option<Arc<dyn Any + Send + Sync>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }
}
